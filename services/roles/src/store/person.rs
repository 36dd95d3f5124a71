//! People, private to their employing municipality (`owner_tenant`) and
//! readable by the municipalities it collaborates with.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "people")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_tenant: String,
    pub display_name: String,
    pub email: String,
    pub subject: String,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    pub etag: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
