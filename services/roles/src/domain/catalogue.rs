//! The standard role catalogue and forums of a collaboration (docs/domain.md),
//! seeded into every new collaboration.

/// Where a role is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// In the collaboration's shared IT department.
    ItDepartment,
    /// Within one member municipality (optionally one section of it).
    Municipality,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ItDepartment => "it_department",
            Scope::Municipality => "municipality",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "it_department" => Some(Scope::ItDepartment),
            "municipality" => Some(Scope::Municipality),
            _ => None,
        }
    }
}

/// A role of the standard catalogue.
#[derive(Debug, Clone, Copy)]
pub struct RoleDef {
    pub code: &'static str,
    pub display_name: &'static str,
    pub scope: Scope,
}

const fn it(code: &'static str, display_name: &'static str) -> RoleDef {
    RoleDef {
        code,
        display_name,
        scope: Scope::ItDepartment,
    }
}

const fn muni(code: &'static str, display_name: &'static str) -> RoleDef {
    RoleDef {
        code,
        display_name,
        scope: Scope::Municipality,
    }
}

pub const IT_CHEF: &str = "it-chef";
pub const IT_STRATEG: &str = "it-strateg";
pub const E_SAMORDNARE: &str = "e-samordnare";
pub const IT_SAKERHETSANSVARIG: &str = "it-sakerhetsansvarig";
pub const KOMMUNCHEF: &str = "kommunchef";
pub const UTVECKLINGSCHEF: &str = "utvecklingschef";
pub const INFOSAK_SAMORDNARE: &str = "informationssakerhetssamordnare";
pub const REGISTRATOR: &str = "registrator";
pub const PERSONALCHEF: &str = "personalchef";
/// The collaboration administrator: onboards and offboards member
/// municipalities (docs/permissions.md, `members.onboard`).
pub const SAMVERKANSADMINISTRATOR: &str = "samverkansadministrator";

/// The roles of docs/domain.md, plus the registrar and HR roles the
/// permission table names (recording KS approvals, delegated HR) and the
/// collaboration administrator who onboards new members.
pub const ROLES: &[RoleDef] = &[
    it(IT_CHEF, "IT-chef"),
    it(IT_STRATEG, "IT-strateg"),
    it(E_SAMORDNARE, "E-samordnare"),
    it(IT_SAKERHETSANSVARIG, "IT-säkerhetsansvarig"),
    it("it-koordinator", "IT-koordinator"),
    it("supportspecialist", "Supportspecialist"),
    it("it-tekniker", "IT-tekniker"),
    it("verksamhetsutvecklare", "Verksamhetsutvecklare"),
    it(SAMVERKANSADMINISTRATOR, "Samverkansadministratör"),
    muni(KOMMUNCHEF, "Kommunchef"),
    muni(UTVECKLINGSCHEF, "Utvecklingschef"),
    muni(INFOSAK_SAMORDNARE, "Informationssäkerhetssamordnare"),
    muni("sakerhetschef", "Säkerhetschef"),
    muni("sektionschef", "Sektionschef"),
    muni(
        "informationssakerhetshandlaggare",
        "Informationssäkerhetshandläggare",
    ),
    muni(REGISTRATOR, "Registrator"),
    muni(PERSONALCHEF, "Personalchef"),
];

/// The kind of a seat in a forum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeatKind {
    Chair,
    Secretary,
    Member,
    Deputy,
}

impl SeatKind {
    pub const ALL: &'static [SeatKind] = &[
        SeatKind::Chair,
        SeatKind::Secretary,
        SeatKind::Member,
        SeatKind::Deputy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SeatKind::Chair => "chair",
            SeatKind::Secretary => "secretary",
            SeatKind::Member => "member",
            SeatKind::Deputy => "deputy",
        }
    }

    pub fn swedish(self) -> &'static str {
        match self {
            SeatKind::Chair => "ordförande",
            SeatKind::Secretary => "sekreterare",
            SeatKind::Member => "ledamot",
            SeatKind::Deputy => "ersättare",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// A seat that holding a role brings with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleSeatDef {
    pub role_code: &'static str,
    pub kind: SeatKind,
    pub may_adjust: bool,
}

/// A forum of the standard organisation.
#[derive(Debug, Clone, Copy)]
pub struct ForumDef {
    pub code: &'static str,
    pub name: &'static str,
    pub reports_to: Option<&'static str>,
    pub role_seats: &'static [RoleSeatDef],
    pub mandate: &'static str,
}

pub const STYRGRUPPEN: &str = "styrgruppen";
pub const DRIFT: &str = "drift";
pub const UTVECKLING: &str = "utveckling";
pub const INFORMATIONSSAKERHET: &str = "informationssakerhet";
pub const TJANSTEFIERING: &str = "tjanstefiering";

const fn seat(role_code: &'static str, kind: SeatKind, may_adjust: bool) -> RoleSeatDef {
    RoleSeatDef {
        role_code,
        kind,
        may_adjust,
    }
}

/// The five forums. IT-styrgruppen's composition follows from roles (both
/// kommunchefer, both utvecklingschefer, IT-chef; the IT-strateg is its
/// secretary); the others have a role-given chair and secretary and
/// explicit seats besides.
pub const FORUMS: &[ForumDef] = &[
    ForumDef {
        code: STYRGRUPPEN,
        name: "IT-styrgruppen",
        reports_to: None,
        role_seats: &[
            seat(KOMMUNCHEF, SeatKind::Member, true),
            seat(UTVECKLINGSCHEF, SeatKind::Member, true),
            seat(IT_CHEF, SeatKind::Member, false),
            seat(IT_STRATEG, SeatKind::Secretary, false),
        ],
        mandate: "IT-styrgruppen är beslutsforum på förvaltningsnivå för samverkan inom IT och fattar strategiska beslut.",
    },
    ForumDef {
        code: DRIFT,
        name: "IT-forum drift",
        reports_to: Some(STYRGRUPPEN),
        role_seats: &[
            seat(IT_CHEF, SeatKind::Chair, false),
            seat("it-koordinator", SeatKind::Secretary, false),
        ],
        mandate: "IT-forum drift hanterar driftfrågor och följer upp supporten per tertial.",
    },
    ForumDef {
        code: UTVECKLING,
        name: "IT-forum utveckling",
        reports_to: Some(STYRGRUPPEN),
        role_seats: &[
            seat(IT_STRATEG, SeatKind::Chair, false),
            seat(E_SAMORDNARE, SeatKind::Secretary, false),
            seat(UTVECKLINGSCHEF, SeatKind::Member, true),
        ],
        mandate: "IT-forum utveckling samordnar de utvecklingsbehov som kommunerna lyfter.",
    },
    ForumDef {
        code: INFORMATIONSSAKERHET,
        name: "Informationssäkerhetsgruppen",
        reports_to: Some(STYRGRUPPEN),
        role_seats: &[
            seat(IT_SAKERHETSANSVARIG, SeatKind::Chair, false),
            seat(INFOSAK_SAMORDNARE, SeatKind::Member, true),
        ],
        mandate: "Informationssäkerhetsgruppen samordnar och följer upp informationssäkerhetsarbetet och rapporterar till IT-styrgruppen.",
    },
    ForumDef {
        code: TJANSTEFIERING,
        name: "Tjänstefieringsgruppen",
        reports_to: Some(STYRGRUPPEN),
        role_seats: &[seat(IT_CHEF, SeatKind::Chair, false)],
        mandate: "Tjänstefieringsgruppen äger den gemensamma kostnadsmodellen: prislista och fördelning.",
    },
];

/// The standard role with this code.
pub fn role(code: &str) -> Option<&'static RoleDef> {
    ROLES.iter().find(|r| r.code == code)
}
