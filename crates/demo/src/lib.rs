//! Deterministic demo data at any scale (`samverkan demo --scale N`), for
//! measuring how read latency grows with the data (issue #11).
//!
//! # What scale N contains
//!
//! * **N collaborations.** Collaboration 1 is the demo (Tranemo–Ulricehamn,
//!   loaded by `samverkan_roles::demo` and `samverkan_costmodel::demo`
//!   exactly as without `--scale`). Collaborations 2..=N are generated with
//!   `samverkan_roles::bootstrap`: 2, 3 or 4 members (index mod 3) named
//!   after real municipalities (Herrljunga, Vårgårda, … with a round number
//!   beyond the list), fixed ids ([`collaboration_id`]), one person in every
//!   role of the demo (IT-department roles once, municipal roles in every
//!   member), e-mails `<role>@<municipality>.se` ([`principals`]).
//! * **Organisation additions, through the API.** Each collaboration's
//!   IT-styrgruppen secretary seats, as decided by IT-styrgruppen, what the
//!   standard forums lack to keep minutes: a secretary in
//!   Informationssäkerhetsgruppen (verksamhetsutvecklaren) and
//!   Tjänstefieringsgruppen (IT-strategen), and every member's
//!   utvecklingschef as an adjuster in IT-forum drift and
//!   Tjänstefieringsgruppen. The demo collaboration gets these seats too.
//! * **History, through the API** ([`Shape::STANDARD`]): in each of the five
//!   forums, for each year 2023–2025, 8 meetings a year, each with 3 matters
//!   (drafted and submitted by the members' people in turn) and a report on
//!   its agenda; the agenda published, attendance recorded, a § per item,
//!   two adjusters designated and both adjusting. Each of IT-styrgruppen's
//!   matter §§ is registered as a decision; each meeting's first decision
//!   gets a follow-up, recorded by a § of the next meeting (the last one of
//!   2025 stays open, due 2027-06-30). The demo collaboration has this
//!   history N times over (N "layers" of meetings, each layer a day later or
//!   15 minutes later in the day), so its forums deepen with N; each
//!   generated collaboration has it once.
//! * **Open work**: per forum two meetings planned (DRAFT) for February and
//!   March 2027, and two submitted matters per layer in the agenda backlog.
//! * **Cost model** for every generated collaboration, through the API: the
//!   demo's four services, driver snapshots (population, accounts,
//!   computers), the base pool's key (⅓ equal, ⅔ by population), 2025
//!   volumes and a published 2025 price list, so `ComputeBill` works for
//!   every municipality.
//!
//! Per layer (one collaboration's history once) that is 120 held meetings,
//! 370 matters (360 on agendas, 10 in backlogs), 501 agenda items and §§
//! (480 + 21 follow-up reports), 72 decisions and 22 follow-ups (21
//! recorded); each collaboration also has 10 planned meetings. Scale N holds
//! N + (N − 1) = 2N − 1 layers: the demo's N and one per generated
//! collaboration. At 100× each of the demo's forums has 2 400 held meetings
//! and 7 200 matters, and IT-styrgruppen 7 200 decisions.
//!
//! | scale | collaborations | municipalities | people | meetings | matters | §§ | decisions | follow-ups |
//! |---|---|---|---|---|---|---|---|---|
//! | 1 | 1 | 2 | 24 | 130 | 370 | 501 | 72 | 22 |
//! | 10 | 10 | 29 | 312 | 2 380 | 7 030 | 9 519 | 1 368 | 418 |
//! | 100 | 100 | 299 | 3 192 | 24 880 | 73 630 | 99 699 | 14 328 | 4 378 |
//!
//! ([`Summary::planned`] computes these; the tests check that a database
//! holds exactly them.) Generation time on the development machine (2
//! cores, release build, both backends loading at once, so each had about
//! one core): scale 10 took 179 s on PostgreSQL and 414 s on SQLite, scale
//! 100 took 1 647 s on PostgreSQL and 2 951 s on SQLite (every commit waits
//! for `fsync`); bound by the CPU that the server and the database share.
//! (Before the server set `TCP_NODELAY`, each call waited 40 ms for a
//! delayed ACK and scale 10 took 378 s on either backend alone.) Prepare
//! 100× data sets once and keep them: a second run of a loaded scale 10
//! takes about a second (one `ListMeetings` per layer, the open work
//! replayed), of scale 100 about 10 s.
//!
//! Everything is generated over gRPC by an in-process server on
//! `127.0.0.1:0` with a random development secret, so every business rule
//! and the audit chains hold. Content (names, texts, dates, § numbers,
//! counts) is a function of N; ids are the services'. A second run adds
//! nothing: each (forum, year, layer) is skipped when its last meeting is
//! already adjusted, and creates carry `request_id`s derived from the
//! content. A larger N after a smaller one adds what is missing.

mod org;
mod run;

use std::fmt;

use samverkan_core::CollaborationId;

pub use org::collaboration_id;
pub use run::{load_scaled, load_scaled_with};

/// The largest scale accepted.
pub const MAX_SCALE: u32 = 1000;

/// The size of one layer of history (one collaboration's history once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The first and last year with meetings (all before 2026).
    pub first_year: i32,
    pub last_year: i32,
    /// Meetings per forum and year.
    pub meetings_per_year: u32,
    /// Matters on each meeting's agenda (besides one report).
    pub matters_per_meeting: u32,
}

impl Shape {
    /// What `samverkan demo --scale N` loads: a realistic collaboration.
    pub const STANDARD: Shape = Shape {
        first_year: 2023,
        last_year: 2025,
        meetings_per_year: 8,
        matters_per_meeting: 3,
    };

    /// A small layer, for tests that run the same code in seconds.
    pub const SMALL: Shape = Shape {
        first_year: 2025,
        last_year: 2025,
        meetings_per_year: 2,
        matters_per_meeting: 2,
    };
}

/// Forums of every collaboration (the standard five).
pub const FORUMS: usize = 5;
/// Planned (DRAFT) meetings in 2027, per forum.
pub const PLANNED_PER_FORUM: u64 = 2;
/// Submitted matters left in each forum's backlog, per layer.
pub const BACKLOG_PER_FORUM: u64 = 2;

/// What a scale contains (whether this run added it or found it there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub scale: u32,
    pub collaborations: u64,
    pub municipalities: u64,
    pub people: u64,
    /// Layers of history: N for the demo collaboration, 1 for each other.
    pub layers: u64,
    pub meetings: u64,
    pub matters: u64,
    pub agenda_items: u64,
    pub paragraphs: u64,
    pub decisions: u64,
    pub follow_ups: u64,
    pub price_lists: u64,
    /// (forum, year, layer) units generated by this run and found complete.
    pub units_added: u64,
    pub units_present: u64,
}

impl Summary {
    /// The counts scale `scale` of `shape` contains (no database needed).
    pub fn planned(scale: u32, shape: &Shape) -> Summary {
        let scale = scale.clamp(1, MAX_SCALE);
        let layers = u64::from(scale) * 2 - 1;
        let forums = FORUMS as u64;
        let years = u64::try_from(shape.last_year - shape.first_year + 1).unwrap_or(0);
        let per_year = u64::from(shape.meetings_per_year);
        let matters = u64::from(shape.matters_per_meeting);
        let meetings_per_forum = years * per_year;
        let held = forums * meetings_per_forum;
        // IT-styrgruppen: a decision per matter §, a follow-up per meeting
        // but the last of each year unless it is the last year.
        let decisions = meetings_per_forum * matters;
        let follow_ups = if per_year == 0 {
            0
        } else {
            years * (per_year - 1) + 1
        };
        let recorded = follow_ups - 1;
        let generated = u64::from(scale - 1);
        let municipalities: u64 = 2 + (2..=scale).map(|i| 2 + u64::from(i % 3)).sum::<u64>();
        let roles = org::IT_ROLES.len() as u64;
        let municipal = org::MUNICIPAL_ROLES.len() as u64;
        Summary {
            scale,
            collaborations: u64::from(scale),
            municipalities,
            people: samverkan_roles::demo::PEOPLE.len() as u64
                + generated * roles
                + (municipalities - 2) * municipal,
            layers,
            meetings: layers * held + u64::from(scale) * forums * PLANNED_PER_FORUM,
            matters: layers * (held * matters + forums * BACKLOG_PER_FORUM),
            agenda_items: layers * (held * (matters + 1) + recorded),
            paragraphs: layers * (held * (matters + 1) + recorded),
            decisions: layers * decisions,
            follow_ups: layers * follow_ups,
            // The demo's own, and one per generated collaboration.
            price_lists: u64::from(scale),
            units_added: 0,
            units_present: 0,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "scale {}: {} collaborations, {} municipalities, {} people; {} layers of history: \
             {} meetings, {} matters, {} agenda items, {} §§, {} decisions, {} follow-ups, \
             {} price lists ({} units added, {} already there)",
            self.scale,
            self.collaborations,
            self.municipalities,
            self.people,
            self.layers,
            self.meetings,
            self.matters,
            self.agenda_items,
            self.paragraphs,
            self.decisions,
            self.follow_ups,
            self.price_lists,
            self.units_added,
            self.units_present,
        )
    }
}

/// A person of the scaled demo, for minting tokens without a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token subject.
    pub email: String,
    /// The token's municipality claim.
    pub municipality: String,
    /// The role code they hold.
    pub role: String,
    pub collaboration: CollaborationId,
}

/// Every person of scale `scale`, the demo's first, in collaboration order.
pub fn principals(scale: u32) -> Vec<Principal> {
    (1..=scale.clamp(1, MAX_SCALE))
        .flat_map(|i| {
            let spec = org::spec(i);
            spec.people.into_iter().map(move |p| Principal {
                email: p.email,
                municipality: p.municipality,
                role: p.role,
                collaboration: spec.id,
            })
        })
        .collect()
}
