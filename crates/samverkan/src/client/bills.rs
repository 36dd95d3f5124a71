//! The cost model as a municipality sees it: price lists, its bill line by
//! line, the explanation of a change, and CSV for spreadsheets.

use std::path::PathBuf;

use anyhow::{Context as _, anyhow};
use clap::{Subcommand, ValueEnum};

use samverkan_proto::costmodel::v1 as cpb;

use super::output::{Report, col, date, kronor};
use super::{Ctx, enum_name, explain, parse_date, request_id};

#[derive(Subcommand, Debug)]
pub enum PriceListCommand {
    /// A year's price lists and their prices.
    List {
        #[arg(long)]
        year: i32,
    },
    /// Draft a new version derived from another by an index (Tjänstefieringsgruppen, IT-chef).
    Draft {
        #[arg(long)]
        year: i32,
        /// The version (number in the year, or id) to derive from; default: the latest.
        #[arg(long)]
        from: Option<String>,
        /// The index in percent, e.g. 2.7 or -1.5.
        #[arg(long, allow_hyphen_values = true)]
        index: String,
        /// The date it takes effect (default: 1 January of the year).
        #[arg(long)]
        effective: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum BillCommand {
    /// A municipality's bill for a year or a month, line by line.
    Show(BillArgs),
    /// Why a bill changes: price, volume, key and reconciliation effects per line.
    Explain {
        #[command(flatten)]
        bill: BillArgs,
        /// Compare with the bill priced by this price list version (number or id), e.g. a draft.
        #[arg(long)]
        to_price_list: String,
    },
    /// The bill as CSV for Swedish spreadsheets (semicolons, decimal comma).
    Csv {
        #[command(flatten)]
        bill: BillArgs,
        #[arg(long, value_enum, default_value = "bill")]
        table: CsvTable,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(clap::Args, Debug)]
pub struct BillArgs {
    /// The municipality, e.g. tranemo.
    municipality: String,
    /// The period: a year (2025) or a month (2025-03).
    #[arg(long, alias = "year", value_parser = parse_period)]
    period: cpb::Period,
}

/// "2025" (the year) or "2025-03" (March 2025); the server checks the
/// ranges and names the part it refuses.
fn parse_period(s: &str) -> Result<cpb::Period, String> {
    let t = s.trim();
    let bad = || format!("{s:?} är ingen period; skriv ett år (2025) eller en månad (2025-03)");
    let (y, m) = match t.split_once('-') {
        None => (t, None),
        Some((y, m)) => (y, Some(m)),
    };
    let number = |x: &str| {
        (!x.is_empty() && x.len() <= 4 && x.bytes().all(|b| b.is_ascii_digit()))
            .then(|| x.parse::<i32>().ok())
            .flatten()
    };
    let year = number(y).ok_or_else(bad)?;
    Ok(match m {
        None => cpb::Period::of_year(year),
        Some(m) => cpb::Period::of_month(year, number(m).ok_or_else(bad)?),
    })
}

/// A period as a Swedish reader writes it: "2025", "mars 2025".
fn period_sv(p: Option<&cpb::Period>) -> String {
    match p {
        None => String::new(),
        Some(p) => match usize::try_from(p.month).ok().and_then(|m| m.checked_sub(1)) {
            Some(i) if i < 12 => format!("{} {}", samverkan_core::dates::MONTHS_SV[i], p.year),
            _ => p.year.to_string(),
        },
    }
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum CsvTable {
    Bill,
    Units,
}

async fn price_lists(ctx: &Ctx, year: i32) -> anyhow::Result<Vec<cpb::PriceList>> {
    Ok(ctx
        .costmodel()
        .list_price_lists(ctx.req(cpb::ListPriceListsRequest {
            year,
            page_size: 200,
            ..Default::default()
        }))
        .await
        .map_err(|s| explain(s, "list price lists"))?
        .into_inner()
        .price_lists)
}

/// A price list of `year` by version number or id.
async fn price_list(ctx: &Ctx, year: i32, which: &str) -> anyhow::Result<cpb::PriceList> {
    let lists = price_lists(ctx, year).await?;
    lists
        .into_iter()
        .find(|p| p.id == which || p.version.to_string() == which.trim())
        .ok_or_else(|| {
            anyhow!("no price list version {which:?} for {year}: see `samverkan pricelist list --year {year}`")
        })
}

fn state(s: i32) -> String {
    cpb::PriceListState::try_from(s)
        .map(|s| enum_name(s.as_str_name(), "PRICE_LIST_STATE_"))
        .unwrap_or_default()
}

fn fraction(f: Option<&cpb::Fraction>) -> String {
    match f {
        None => String::new(),
        Some(f) if f.denominator <= 1 => f.numerator.to_string(),
        Some(f) if f.numerator % f.denominator == 0 => (f.numerator / f.denominator).to_string(),
        Some(f) => format!("{}/{}", f.numerator, f.denominator),
    }
}

/// "2.7" or "-1,5" as a fraction of percent.
fn parse_percent(s: &str) -> anyhow::Result<cpb::Fraction> {
    let t = s.trim().replace(',', ".");
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r.to_owned()),
        None => (false, t),
    };
    let (int, dec) = t.split_once('.').unwrap_or((&t, ""));
    let ok = !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && dec.chars().all(|c| c.is_ascii_digit())
        && dec.len() <= 6;
    if !ok {
        anyhow::bail!("{s:?} is not a percentage such as 2.7");
    }
    let denominator = 10_i64.pow(dec.len() as u32);
    let numerator: i64 = format!("{int}{dec}")
        .parse()
        .with_context(|| format!("{s:?} is too large"))?;
    Ok(cpb::Fraction {
        numerator: if neg { -numerator } else { numerator },
        denominator,
    })
}

pub async fn price_lists_cmd(ctx: &Ctx, cmd: PriceListCommand) -> anyhow::Result<Report> {
    match cmd {
        PriceListCommand::List { year } => {
            let lists = price_lists(ctx, year).await?;
            let mut rows = Vec::new();
            for l in &lists {
                for p in &l.prices {
                    rows.push(vec![
                        l.version.to_string(),
                        state(l.state),
                        date(l.effective_date.as_ref()),
                        p.service_code.clone(),
                        kronor(p.amount_ore),
                        l.decision_ref.clone(),
                    ]);
                }
            }
            Ok(Report::default().table(
                "prices",
                vec![
                    col("version", "Version"),
                    col("state", "Läge"),
                    col("effective", "Gäller från"),
                    col("service", "Tjänst"),
                    col("price", "Pris"),
                    col("decision", "Beslut"),
                ],
                rows,
            ))
        }
        PriceListCommand::Draft {
            year,
            from,
            index,
            effective,
        } => {
            let base = match from {
                Some(v) => price_list(ctx, year, &v).await?,
                None => price_lists(ctx, year)
                    .await?
                    .into_iter()
                    .max_by_key(|p| p.version)
                    .ok_or_else(|| anyhow!("{year} has no price list to derive from"))?,
            };
            let effective = parse_date(&effective.unwrap_or_else(|| format!("{year}-01-01")))?;
            let l = ctx
                .costmodel()
                .create_price_list(ctx.req(cpb::CreatePriceListRequest {
                    request_id: request_id(),
                    year,
                    effective_date: Some(effective),
                    derivation: Some(cpb::Derivation {
                        from_price_list_id: base.id.clone(),
                        index_percent: Some(parse_percent(&index)?),
                        rounding: cpb::PriceRounding::Ore as i32,
                        rounding_step_ore: 0,
                    }),
                    ..Default::default()
                }))
                .await
                .map_err(|s| explain(s, "draft the price list"))?
                .into_inner()
                .price_list
                .ok_or_else(|| anyhow!("the server answered without a price list"))?;
            Ok(Report::default()
                .line(format!(
                    "Prislista {year} version {} (utkast) härledd från version {} med index {index} % / draft created",
                    l.version, base.version
                ))
                .table(
                    "prices",
                    vec![col("service", "Tjänst"), col("before", "Förut"), col("price", "Pris")],
                    l.prices
                        .iter()
                        .map(|p| {
                            let before = base
                                .prices
                                .iter()
                                .find(|b| b.service_code == p.service_code)
                                .map(|b| kronor(b.amount_ore))
                                .unwrap_or_default();
                            vec![p.service_code.clone(), before, kronor(p.amount_ore)]
                        })
                        .collect(),
                ))
        }
    }
}

fn live(period: cpb::Period, price_list_id: String) -> Option<cpb::BillSource> {
    Some(cpb::BillSource {
        period: Some(period),
        basis: cpb::BillBasis::Live as i32,
        price_list_id,
        ..Default::default()
    })
}

fn line_kind(k: i32) -> String {
    match cpb::LineKind::try_from(k) {
        Ok(cpb::LineKind::PerUnit) => "per enhet".into(),
        Ok(cpb::LineKind::Allocated) => "fördelad".into(),
        Ok(cpb::LineKind::Direct) => "direkt".into(),
        Ok(cpb::LineKind::Correction) => "avräkning".into(),
        _ => String::new(),
    }
}

pub async fn bill(ctx: &Ctx, cmd: BillCommand) -> anyhow::Result<Report> {
    match cmd {
        BillCommand::Show(BillArgs {
            municipality,
            period,
        }) => {
            let b = ctx
                .costmodel()
                .compute_bill(ctx.req(cpb::ComputeBillRequest {
                    municipality_id: municipality.clone(),
                    source: live(period, String::new()),
                    ..Default::default()
                }))
                .await
                .map_err(|s| explain(s, "compute the bill"))?
                .into_inner()
                .bill
                .ok_or_else(|| anyhow!("the server answered without a bill"))?;
            let mut r = Report::default().fields(
                "bill",
                vec![
                    (col("municipality", "Kommun"), b.municipality_id.clone()),
                    (col("period", "Period"), period_sv(b.period.as_ref())),
                    (
                        col("price_list_version", "Prislista"),
                        format!("version {}", b.price_list_version),
                    ),
                    (col("total", "Summa"), kronor(b.total_ore)),
                    (col("total_ore", "Summa (öre)"), b.total_ore.to_string()),
                ],
            );
            if b.detail_withheld {
                r = r.line(format!(
                    "Detaljerna visas bara för {}s egna / per-unit detail is shown only to {}'s own people",
                    municipality, municipality
                ));
            } else {
                r = r.table(
                    "lines",
                    vec![
                        col("kind", "Typ"),
                        col("service", "Tjänst"),
                        col("unit", "Förvaltning"),
                        col("quantity", "Antal/andel"),
                        col("price", "À-pris/pott"),
                        col("amount", "Belopp"),
                    ],
                    b.lines
                        .iter()
                        .map(|l| {
                            vec![
                                line_kind(l.kind),
                                l.name.clone(),
                                l.unit.clone(),
                                fraction(l.quantity.as_ref()),
                                kronor(l.unit_price_ore),
                                kronor(l.amount_ore),
                            ]
                        })
                        .collect(),
                );
                if b.unit_totals.len() > 1 {
                    r = r.table(
                        "unit_totals",
                        vec![col("unit", "Förvaltning"), col("amount", "Belopp")],
                        b.unit_totals
                            .iter()
                            .map(|u| {
                                vec![
                                    if u.unit.is_empty() {
                                        "(hela kommunen)".into()
                                    } else {
                                        u.unit.clone()
                                    },
                                    kronor(u.amount_ore),
                                ]
                            })
                            .collect(),
                    );
                }
            }
            Ok(r)
        }
        BillCommand::Explain {
            bill: BillArgs {
                municipality,
                period,
            },
            to_price_list,
        } => {
            let to = price_list(ctx, period.year, &to_price_list).await?;
            let e = ctx
                .costmodel()
                .explain_change(ctx.req(cpb::ExplainChangeRequest {
                    municipality_id: municipality,
                    from: live(period, String::new()),
                    to: live(period, to.id.clone()),
                    ..Default::default()
                }))
                .await
                .map_err(|s| explain(s, "explain the change"))?
                .into_inner();
            let row = |r: &cpb::EffectRow| {
                vec![
                    r.name.clone(),
                    r.unit.clone(),
                    kronor(r.before_ore),
                    kronor(r.price_effect_ore),
                    kronor(r.volume_effect_ore),
                    kronor(r.key_effect_ore),
                    kronor(r.after_ore),
                    kronor(r.change_ore),
                ]
            };
            let mut rows: Vec<Vec<String>> = e.rows.iter().map(row).collect();
            if let Some(t) = &e.totals {
                rows.push(row(t));
            }
            Ok(Report::default()
                .line(format!(
                    "Från gällande prislista till version {} ({}) / from the bill in force to version {}",
                    to.version,
                    state(to.state),
                    to.version
                ))
                .table(
                    "explanation",
                    vec![
                        col("service", "Tjänst"),
                        col("unit", "Förvaltning"),
                        col("before", "Före"),
                        col("price_effect", "Priseffekt"),
                        col("volume_effect", "Volymeffekt"),
                        col("key_effect", "Nyckeleffekt"),
                        col("after", "Efter"),
                        col("change", "Förändring"),
                    ],
                    rows,
                ))
        }
        BillCommand::Csv {
            bill: BillArgs {
                municipality,
                period,
            },
            table,
            output,
        } => {
            let out = ctx
                .costmodel()
                .export_csv(ctx.req(cpb::ExportCsvRequest {
                    municipality_id: municipality,
                    table: match table {
                        CsvTable::Bill => cpb::CsvTable::Bill,
                        CsvTable::Units => cpb::CsvTable::UnitSplit,
                    } as i32,
                    bill: live(period, String::new()),
                    ..Default::default()
                }))
                .await
                .map_err(|s| explain(s, "export the bill as CSV"))?
                .into_inner();
            match output {
                Some(path) => {
                    std::fs::write(&path, &out.content)
                        .with_context(|| format!("write {}", path.display()))?;
                    Ok(Report::default().line(format!(
                        "{} skriven / written ({} bytes; suggested name {})",
                        path.display(),
                        out.content.len(),
                        out.filename
                    )))
                }
                None => {
                    let text = String::from_utf8(out.content).context("the CSV is not UTF-8")?;
                    Ok(Report::default().raw("csv", text.trim_start_matches('\u{feff}')))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_exact() {
        let f = parse_percent("2.7").unwrap();
        assert_eq!((f.numerator, f.denominator), (27, 10));
        let f = parse_percent("-1,25").unwrap();
        assert_eq!((f.numerator, f.denominator), (-125, 100));
        let f = parse_percent("3").unwrap();
        assert_eq!((f.numerator, f.denominator), (3, 1));
        assert!(parse_percent("x").is_err());
        assert!(parse_percent("1.2.3").is_err());
    }

    #[test]
    fn periods_are_years_or_months() {
        assert_eq!(parse_period("2025").unwrap(), cpb::Period::of_year(2025));
        assert_eq!(
            parse_period("2025-03").unwrap(),
            cpb::Period::of_month(2025, 3)
        );
        // Ranges are the server's to judge (it names the part).
        assert_eq!(
            parse_period("2025-13").unwrap(),
            cpb::Period::of_month(2025, 13)
        );
        for bad in ["", "år 2025", "2025-", "2025-mars", "-3", "20251"] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
        assert_eq!(
            period_sv(Some(&cpb::Period::of_month(2025, 3))),
            "mars 2025"
        );
        assert_eq!(period_sv(Some(&cpb::Period::of_year(2025))), "2025");
    }
}
