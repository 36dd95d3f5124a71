//! sea-orm entities of the forums service.

pub mod matter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "matters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub owner_tenant: Option<String>,
        pub collaboration_id: Option<Uuid>,
        pub raising_municipality: String,
        pub author: String,
        pub author_person_id: Option<Uuid>,
        pub kind: String,
        pub title: String,
        pub description: String,
        pub priority: String,
        pub state: String,
        pub forum_id: Option<Uuid>,
        pub provenance: String,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
        pub submit_time: Option<DateTimeUtc>,
        pub etag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod meeting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meetings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub forum_id: Uuid,
        pub title: String,
        pub start_time: DateTimeUtc,
        pub end_time: DateTimeUtc,
        pub location: String,
        pub state: String,
        pub adjusters: String,
        pub adjusted_by: String,
        pub attendance: String,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
        pub lock_time: Option<DateTimeUtc>,
        pub etag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod agenda_item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agenda_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub meeting_id: Uuid,
        pub number: i32,
        pub kind: String,
        pub title: String,
        pub matter_id: Option<Uuid>,
        pub presenter: String,
        pub estimated_minutes: i32,
        pub create_time: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod note {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub owner_tenant: String,
        pub meeting_id: Uuid,
        pub agenda_item_id: Uuid,
        pub text: String,
        pub author: String,
        pub create_time: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod document {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "documents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub owner_tenant: Option<String>,
        pub collaboration_id: Option<Uuid>,
        pub matter_id: Option<Uuid>,
        pub agenda_item_id: Option<Uuid>,
        pub title: String,
        pub author: String,
        pub municipality: String,
        pub classification: String,
        pub media_type: String,
        #[sea_orm(column_type = "VarBinary(StringLen::None)")]
        pub content: Vec<u8>,
        pub sha256: String,
        pub size_bytes: i64,
        pub create_time: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod paragraph {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "paragraphs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub collaboration_id: Uuid,
        pub meeting_id: Uuid,
        pub forum_id: Uuid,
        pub year: i32,
        pub number: i32,
        pub agenda_item_id: Option<Uuid>,
        pub title: String,
        pub presented: String,
        pub decision: String,
        pub outcome: String,
        pub corrects_paragraph_id: Option<Uuid>,
        pub create_time: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod paragraph_counter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "paragraph_counters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub forum_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        pub collaboration_id: Uuid,
        pub last_number: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod meeting_change {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_changes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub meeting_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub collaboration_id: Uuid,
        pub kind: String,
        pub actor: String,
        pub change_time: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
