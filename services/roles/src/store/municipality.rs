//! The deployment's registry of member municipalities (tenants). Not tenant
//! data itself: authentication reads it before any tenant scope exists, to
//! answer `PERMISSION_DENIED` for a municipality the deployment does not know.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "municipalities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub organisation_number: String,
    pub create_time: DateTimeUtc,
    pub etag: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
