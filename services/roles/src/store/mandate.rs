//! Versioned mandates (uppdragsbeskrivningar) of roles and forums.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mandates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub collaboration_id: Uuid,
    /// `role` or `forum`.
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub version: i32,
    pub text: String,
    pub effective_from: Date,
    pub decision_ref: String,
    pub created_by: String,
    pub create_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
