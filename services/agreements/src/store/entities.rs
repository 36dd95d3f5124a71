//! sea-orm entities of the agreements service.

pub mod agreement {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agreements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub kind: String,
        pub title: String,
        pub create_time: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod version {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agreement_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub agreement_id: Uuid,
        pub number: i32,
        pub text: String,
        pub status: String,
        pub effective_from: Option<Date>,
        pub next_review_on: Option<Date>,
        pub decision_ids: String,
        pub changelog: String,
        pub link: String,
        pub based_on_version_id: Option<Uuid>,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
        pub etag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod revision {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "revisions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub agreement_id: Uuid,
        pub year: i32,
        pub base_version_id: Uuid,
        pub draft_version_id: Option<Uuid>,
        pub phase: String,
        pub phase_ends: String,
        pub effective_from: Date,
        pub decision_id: Option<Uuid>,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
        pub etag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod proposal {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "proposals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub owner_tenant: Option<String>,
        pub collaboration_id: Option<Uuid>,
        pub revision_id: Uuid,
        pub municipality: String,
        pub author: String,
        pub section_number: String,
        pub action: String,
        pub title: String,
        pub text: String,
        pub rationale: String,
        pub state: String,
        pub resolution_reason: String,
        pub accepted_text: String,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
        pub etag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod approval {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "approvals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub owner_tenant: Option<String>,
        pub collaboration_id: Option<Uuid>,
        pub revision_id: Uuid,
        pub municipality: String,
        pub body: String,
        pub paragraph_ref: String,
        pub decided_on: Date,
        pub recorded_by: String,
        pub recorded: bool,
        pub create_time: DateTimeUtc,
        pub etag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
