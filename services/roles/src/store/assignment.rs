//! Dated role assignments. Never deleted: ending one sets `valid_to`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub collaboration_id: Uuid,
    pub person_id: Uuid,
    pub role_id: Uuid,
    pub role_code: String,
    pub municipality_id: Option<String>,
    pub section: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub decision_ref: String,
    pub deputy_for_person_id: Option<Uuid>,
    pub create_time: DateTimeUtc,
    pub etag: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
