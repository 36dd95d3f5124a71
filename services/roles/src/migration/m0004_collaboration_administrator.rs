use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use sea_orm_migration::prelude::*;

use crate::domain::catalogue::{self, SAMVERKANSADMINISTRATOR};
use crate::store::{collaboration, role};

/// Collaborations created before the catalogue had the collaboration
/// administrator (samverkansadministratör) get the role; new ones are
/// seeded with it.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        let Some(def) = catalogue::role(SAMVERKANSADMINISTRATOR) else {
            return Err(DbErr::Custom(
                "the catalogue lacks its administrator".into(),
            ));
        };
        let collabs = collaboration::Entity::find().all(conn).await?;
        if collabs.is_empty() {
            return Ok(());
        }
        let postgres = conn.get_database_backend() == DbBackend::Postgres;
        // `roles` is shared with its collaboration under forced row-level
        // security, which binds the owner that runs migrations too: name
        // every collaboration for this session, and clear it afterwards.
        let set = |ids: String| {
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT set_config('samverkan.collaborations', $1, false)",
                [ids.into()],
            )
        };
        if postgres {
            let ids: Vec<String> = collabs.iter().map(|c| c.id.to_string()).collect();
            conn.execute_raw(set(ids.join(","))).await?;
        }
        for c in &collabs {
            let present = role::Entity::find()
                .filter(sea_orm::ColumnTrait::eq(
                    &role::Column::CollaborationId,
                    c.id,
                ))
                .filter(sea_orm::ColumnTrait::eq(&role::Column::Code, def.code))
                .one(conn)
                .await?
                .is_some();
            if !present {
                role::Entity::insert(role::ActiveModel::from(role::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: c.id,
                    code: def.code.to_owned(),
                    display_name: def.display_name.to_owned(),
                    scope: def.scope.as_str().to_owned(),
                    create_time: samverkan_db::now(),
                }))
                .exec(conn)
                .await?;
            }
        }
        if postgres {
            conn.execute_raw(set(String::new())).await?;
        }
        Ok(())
    }
}
