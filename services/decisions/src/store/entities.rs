//! sea-orm entities of the decisions service.

pub mod decision {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "decisions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub forum_id: Uuid,
        pub meeting_id: Uuid,
        pub paragraph_id: Uuid,
        pub paragraph_ref: String,
        pub decision_date: Date,
        pub year: i32,
        pub title: String,
        pub text: String,
        pub basis_documents: String,
        pub responsible_role_code: String,
        pub responsible_person_id: Option<Uuid>,
        pub status: String,
        pub superseded_by_id: Option<Uuid>,
        pub supersedes_id: Option<Uuid>,
        pub is_final: bool,
        pub matter_id: Option<Uuid>,
        pub carried_out_on: Option<Date>,
        pub followed_up_on: Option<Date>,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
        pub etag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod follow_up {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "follow_ups")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub decision_id: Uuid,
        pub forum_id: Uuid,
        pub due_on: Date,
        pub title: String,
        pub status: String,
        pub meeting_id: Option<Uuid>,
        pub paragraph_id: Option<Uuid>,
        pub paragraph_ref: String,
        pub recorded_on: Option<Date>,
        pub announced: bool,
        pub create_time: DateTimeUtc,
        pub etag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod action_plan {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "action_plans")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub decision_id: Uuid,
        pub forum_id: Uuid,
        pub title: String,
        pub create_time: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod activity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "activities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub action_plan_id: Uuid,
        pub forum_id: Uuid,
        pub decision_id: Uuid,
        pub title: String,
        pub owner_person_id: Uuid,
        pub due_on: Date,
        pub status: String,
        pub progress: i32,
        pub weight: i32,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
        pub etag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod timeline_entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "timeline_entries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub activity_id: Uuid,
        pub author: String,
        pub text: String,
        pub create_time: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
