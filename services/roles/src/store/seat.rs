//! Explicit, dated seats of people in forums.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub collaboration_id: Uuid,
    pub forum_id: Uuid,
    pub person_id: Uuid,
    pub kind: String,
    pub may_adjust: bool,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub decision_ref: String,
    pub create_time: DateTimeUtc,
    pub etag: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
