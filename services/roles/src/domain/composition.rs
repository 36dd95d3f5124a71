//! A forum's composition on a date: the seats its roles bring (holders of
//! the role on that date, deputies as deputies) plus its explicit seats.

use uuid::Uuid;

use super::catalogue::SeatKind;

/// A seat a role brings (owned form of the catalogue's `RoleSeatDef`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSeat {
    pub role_code: String,
    pub kind: SeatKind,
    pub may_adjust: bool,
}

/// An assignment in force on the date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldAssignment {
    pub id: Uuid,
    pub person_id: Uuid,
    pub role_code: String,
    pub municipality: Option<String>,
    pub deputy_for: Option<Uuid>,
}

/// An explicit seat in force on the date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplicitSeat {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: SeatKind,
    pub may_adjust: bool,
}

/// Where a seat comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Role {
        role_code: String,
        municipality: Option<String>,
        assignment_id: Uuid,
    },
    Explicit {
        seat_id: Uuid,
    },
}

/// One seat of the composition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposedSeat {
    pub person_id: Uuid,
    pub kind: SeatKind,
    pub may_adjust: bool,
    pub source: Source,
}

/// Derives the composition. Ordered by seat kind (chair, secretary,
/// members, deputies), then person, then source, so the answer is stable.
pub fn compose(
    role_seats: &[RoleSeat],
    assignments: &[HeldAssignment],
    explicit: &[ExplicitSeat],
) -> Vec<ComposedSeat> {
    let mut seats = Vec::new();
    for rs in role_seats {
        for a in assignments.iter().filter(|a| a.role_code == rs.role_code) {
            seats.push(ComposedSeat {
                person_id: a.person_id,
                kind: if a.deputy_for.is_some() {
                    SeatKind::Deputy
                } else {
                    rs.kind
                },
                may_adjust: rs.may_adjust,
                source: Source::Role {
                    role_code: a.role_code.clone(),
                    municipality: a.municipality.clone(),
                    assignment_id: a.id,
                },
            });
        }
    }
    for s in explicit {
        seats.push(ComposedSeat {
            person_id: s.person_id,
            kind: s.kind,
            may_adjust: s.may_adjust,
            source: Source::Explicit { seat_id: s.id },
        });
    }
    seats.sort_by(|a, b| {
        let key = |s: &ComposedSeat| match &s.source {
            Source::Role { assignment_id, .. } => *assignment_id,
            Source::Explicit { seat_id } => *seat_id,
        };
        (a.kind, a.person_id, key(a)).cmp(&(b.kind, b.person_id, key(b)))
    });
    seats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn roles_bring_seats_and_deputies_sit_as_deputies() {
        let role_seats = vec![
            RoleSeat {
                role_code: "kommunchef".into(),
                kind: SeatKind::Member,
                may_adjust: true,
            },
            RoleSeat {
                role_code: "it-strateg".into(),
                kind: SeatKind::Secretary,
                may_adjust: false,
            },
        ];
        let assignments = vec![
            HeldAssignment {
                id: id(1),
                person_id: id(100),
                role_code: "kommunchef".into(),
                municipality: Some("tranemo".into()),
                deputy_for: None,
            },
            HeldAssignment {
                id: id(2),
                person_id: id(101),
                role_code: "kommunchef".into(),
                municipality: Some("tranemo".into()),
                deputy_for: Some(id(100)),
            },
            HeldAssignment {
                id: id(3),
                person_id: id(102),
                role_code: "it-strateg".into(),
                municipality: None,
                deputy_for: None,
            },
            HeldAssignment {
                id: id(4),
                person_id: id(103),
                role_code: "it-tekniker".into(),
                municipality: None,
                deputy_for: None,
            },
        ];
        let explicit = vec![ExplicitSeat {
            id: id(9),
            person_id: id(100),
            kind: SeatKind::Chair,
            may_adjust: true,
        }];
        let seats = compose(&role_seats, &assignments, &explicit);
        let summary: Vec<_> = seats.iter().map(|s| (s.kind, s.person_id)).collect();
        assert_eq!(
            summary,
            [
                (SeatKind::Chair, id(100)),
                (SeatKind::Secretary, id(102)),
                (SeatKind::Member, id(100)),
                (SeatKind::Deputy, id(101)),
            ]
        );
    }
}
