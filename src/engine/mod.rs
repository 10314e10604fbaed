//! The engine: runs the recipes that apply to a target, concurrently, each under its own
//! timeout and in its own task, and assembles what they report into a `Dossier`.
//!
//! Isolation is the point: a recipe that panics or hangs is reported as an `error` in the
//! dossier's `recipes` and the scan goes on with the rest. A recipe that needs the network
//! is reported `skipped`, with the reason, when `engine.network` is off.
//!
//! Pivots: contacts a recipe finds (an address listed on a verified profile) are looked up
//! in turn, up to `engine.pivot_depth` rounds and `MAX_PIVOTS` identifiers a scan, by the
//! recipes that apply to their kind. Their runs appear in `recipes` with the pivot named
//! in the note, their findings name the pivot, and what they find never passes for the
//! target's own: its findings' codes start with `pivot.`, its breaches become
//! `breach.pivot` findings rather than entries of `breaches`, and its phone profile is not
//! the dossier's.
//!
//! Layout: `recipes` holds the offline recipes, `presence` the site checks, `risk` the
//! scoring, `summary` the written summary's template and `llm` the summary written by a
//! configured model, which replaces the template's when it answers well and in time.

pub mod llm;
pub mod presence;
pub mod recipes;
pub mod risk;
pub mod summary;

use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::dossier::{
    Artifacts, Breach, Contacts, Counts, Dossier, Finding, PhoneProfile, Profiles, RecipeFinding,
    RecipeRun, RecipeStatus,
};
use crate::target::Kind;

/// Most identifiers a scan pivots to, whatever the depth: each costs a full round of
/// recipes (a full site run for an email).
pub const MAX_PIVOTS: usize = 4;

/// What a recipe is asked about.
#[derive(Debug, Clone)]
pub struct ScanInput {
    pub target: String,
    pub kind: Kind,
    pub lang: String,
    /// The scan's progress; a recipe with many steps may count them here.
    pub progress: Arc<Progress>,
    /// For a pivot, where its identifier was found (`GitHub profile https://…`).
    pub pivot: Option<String>,
}

impl ScanInput {
    pub fn new(target: String, kind: Kind, lang: String) -> ScanInput {
        ScanInput {
            target,
            kind,
            lang,
            progress: Arc::new(Progress::default()),
            pivot: None,
        }
    }
}

/// What a recipe reports. `entities` are the distinct things it found, as `kind:value`
/// keys (`domain:example.com`), counted once across the dossier.
#[derive(Debug, Clone, Default)]
pub struct RecipeOutput {
    pub findings: Vec<Finding>,
    pub note: String,
    pub entities: Vec<String>,
    /// Facts for the written summary (`email.domain_class` → `corporate`), not shown as
    /// such in the dossier. Keys are documented in `summary`.
    pub facts: Vec<(&'static str, String)>,
    pub phone_profile: Option<PhoneProfile>,
    pub profiles: Profiles,
    pub contacts: Contacts,
    /// Breaches holding the target (the breach index recipe), with their flags.
    pub breaches: Vec<Breach>,
}

pub type RecipeFuture = Pin<Box<dyn Future<Output = Result<RecipeOutput, String>> + Send>>;

pub trait Recipe: Send + Sync {
    /// Stable dotted name shown in the dossier (`email.domain`).
    fn name(&self) -> &'static str;
    fn applies_to(&self, kind: Kind) -> bool;
    fn needs_network(&self) -> bool {
        false
    }
    /// Starts the recipe. An `Err` is a readable sentence saying why it could not finish.
    fn run(&self, input: Arc<ScanInput>) -> RecipeFuture;
}

/// Runs CPU-only recipe work on the blocking pool, so analysis never holds an async worker.
pub fn blocking<F>(work: F) -> RecipeFuture
where
    F: FnOnce() -> Result<RecipeOutput, String> + Send + 'static,
{
    Box::pin(async move {
        match tokio::task::spawn_blocking(work).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(PANIC_NOTE.to_string()),
            Err(_) => Err("the recipe was cancelled".to_string()),
        }
    })
}

const PANIC_NOTE: &str = "the recipe failed unexpectedly (an internal error); other recipes \
                          were not affected";

/// Counts finished recipes of one running scan, for `progress` in polls.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU32,
    pub total: AtomicU32,
}

#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub network: bool,
    pub recipe_timeout: Duration,
    /// Rounds of pivots (`engine.pivot_depth`); 0 looks up nothing but the target.
    pub pivot_depth: u32,
}

impl EngineSettings {
    pub fn of(config: &crate::config::Config) -> EngineSettings {
        EngineSettings {
            network: config.engine.network,
            recipe_timeout: config.engine.recipe_timeout,
            pivot_depth: config.engine.pivot_depth,
        }
    }
}

pub struct Engine {
    recipes: Vec<Arc<dyn Recipe>>,
    settings: EngineSettings,
    summary_model: Option<llm::SummaryModel>,
}

impl Engine {
    pub fn new(recipes: Vec<Arc<dyn Recipe>>, settings: EngineSettings) -> Engine {
        Engine {
            recipes,
            settings,
            summary_model: None,
        }
    }

    /// The engine, with summaries written by `model` when it is set.
    pub fn with_summary_model(mut self, model: Option<llm::SummaryModel>) -> Engine {
        self.summary_model = model;
        self
    }

    /// The engine with Skopio's built-in offline recipes.
    pub fn standard(settings: EngineSettings) -> Engine {
        Engine::new(recipes::standard(), settings)
    }

    /// The built-in recipes, plus the lookup in the local breach index and the site
    /// checks when they are given.
    pub fn full(
        settings: EngineSettings,
        index: Option<crate::breaches::Index>,
        sites: Option<presence::UsernameSites>,
    ) -> Engine {
        let mut recipes = match index {
            Some(index) => recipes::standard_with_breaches(index),
            None => recipes::standard(),
        };
        if let Some(sites) = sites {
            recipes.push(Arc::new(sites));
        }
        Engine::new(recipes, settings)
    }

    /// The recipes a target of `kind` gets (the `recipes_to_run` of a 202).
    pub fn plan(&self, kind: Kind) -> Vec<&'static str> {
        self.recipes
            .iter()
            .filter(|r| r.applies_to(kind))
            .map(|r| r.name())
            .collect()
    }

    /// Runs every applicable recipe, then the pivots, and assembles the dossier. Never
    /// fails: whatever a recipe does, it ends up as a line of `recipes`.
    pub async fn run(&self, input: ScanInput) -> Dossier {
        let input = Arc::new(input);
        let mut runs = round(&self.recipes, Arc::clone(&input), &self.settings).await;
        let mut seen: HashSet<String> = HashSet::from([input.target.to_lowercase()]);
        let mut frontier = contacts_of(&runs);
        for _ in 0..self.settings.pivot_depth {
            let mut pivots = Vec::new();
            for (value, kind, from) in frontier.drain(..) {
                if seen.len() <= MAX_PIVOTS && seen.insert(value.to_lowercase()) {
                    pivots.push((value, kind, from));
                }
            }
            if pivots.is_empty() {
                break;
            }
            let mut tasks = tokio::task::JoinSet::new();
            for (idx, (value, kind, from)) in pivots.iter().cloned().enumerate() {
                let pivot = Arc::new(ScanInput {
                    target: value,
                    kind,
                    lang: input.lang.clone(),
                    progress: Arc::clone(&input.progress),
                    pivot: Some(from),
                });
                let (recipes, settings) = (self.recipes.clone(), self.settings.clone());
                tasks.spawn(async move { (idx, round(&recipes, pivot, &settings).await) });
            }
            let mut rounds: Vec<Vec<(RecipeRun, RecipeOutput)>> = vec![Vec::new(); pivots.len()];
            while let Some(joined) = tasks.join_next().await {
                // A round contains its recipes' panics; a lost round leaves its slot empty.
                if let Ok((idx, pivot_runs)) = joined {
                    rounds[idx] = pivot_runs;
                }
            }
            for ((value, _, from), pivot_runs) in pivots.iter().zip(rounds) {
                frontier.extend(contacts_of(&pivot_runs));
                runs.extend(
                    pivot_runs
                        .into_iter()
                        .map(|(run, output)| as_pivot(run, output, value, from)),
                );
            }
        }
        let mut dossier = assemble(&input, runs);
        if let Some(model) = &self.summary_model {
            match model.write(input.kind, &dossier).await {
                Ok((text, name)) => {
                    dossier.ai_summary = text;
                    dossier.summary_source = name;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the summary model failed; the template's is kept")
                }
            }
        }
        dossier
    }
}

/// Runs every recipe of `recipes` that applies to `input`, concurrently.
async fn round(
    recipes: &[Arc<dyn Recipe>],
    input: Arc<ScanInput>,
    settings: &EngineSettings,
) -> Vec<(RecipeRun, RecipeOutput)> {
    let applicable: Vec<Arc<dyn Recipe>> = recipes
        .iter()
        .filter(|r| r.applies_to(input.kind))
        .cloned()
        .collect();
    let progress = Arc::clone(&input.progress);
    progress
        .total
        .fetch_add(applicable.len() as u32, Ordering::Relaxed);
    let mut tasks = tokio::task::JoinSet::new();
    for (idx, recipe) in applicable.iter().enumerate() {
        let recipe = Arc::clone(recipe);
        let input = Arc::clone(&input);
        let settings = settings.clone();
        tasks.spawn(async move { (idx, run_one(recipe, input, &settings).await) });
    }
    let mut runs: Vec<Option<(RecipeRun, RecipeOutput)>> = vec![None; applicable.len()];
    while let Some(joined) = tasks.join_next().await {
        // `run_one` contains every panic of a recipe, so a join error here can only be
        // a panic in that wrapper itself; the slot then stays empty and is filled below.
        if let Ok((idx, run)) = joined {
            runs[idx] = Some(run);
        }
        progress.done.fetch_add(1, Ordering::Relaxed);
    }
    runs.into_iter()
        .zip(&applicable)
        .map(|(run, recipe)| {
            run.unwrap_or_else(|| {
                (
                    failed_run(recipe.name(), PANIC_NOTE.to_string(), 0),
                    RecipeOutput::default(),
                )
            })
        })
        .collect()
}

/// The contacts `runs` found, as identifiers to pivot to: (value, kind, where found).
fn contacts_of(runs: &[(RecipeRun, RecipeOutput)]) -> Vec<(String, Kind, String)> {
    let mut out = Vec::new();
    for (_, output) in runs {
        for contact in &output.contacts.emails {
            out.push((contact.value.clone(), Kind::Email, contact.source.clone()));
        }
        for contact in &output.contacts.phones {
            out.push((contact.value.clone(), Kind::Phone, contact.source.clone()));
        }
    }
    out
}

/// A pivot's run, marked as such: its note and findings name the pivot, its breaches
/// become findings, and nothing of it passes for the target's own.
fn as_pivot(
    mut run: RecipeRun,
    mut output: RecipeOutput,
    value: &str,
    from: &str,
) -> (RecipeRun, RecipeOutput) {
    run.note = format!("pivot {value} ({from}): {}", run.note);
    // Under its own code, so that neither the risk nor the summary takes a pivot's
    // observation (`email.free_mail` of an address found on a profile) for the target's.
    for finding in &mut output.findings {
        finding.code = format!("pivot.{}", finding.code);
        finding.detail = format!("{value}: {}", finding.detail);
    }
    for breach in output.breaches.drain(..) {
        output.findings.push(Finding::new(
            "breach.pivot",
            format!(
                "{value} ({from}) is in the {} breach ({}, {} accounts)",
                breach.title, breach.date, breach.accounts
            ),
        ));
        output.entities.push(format!("breach:{}", breach.name));
    }
    run.findings = output.findings.len() as u32;
    output.phone_profile = None;
    output.facts.clear();
    (run, output)
}

fn failed_run(name: &str, note: String, duration_ms: u64) -> RecipeRun {
    RecipeRun {
        name: name.to_string(),
        status: RecipeStatus::Error,
        findings: 0,
        duration_ms,
        note,
    }
}

async fn run_one(
    recipe: Arc<dyn Recipe>,
    input: Arc<ScanInput>,
    settings: &EngineSettings,
) -> (RecipeRun, RecipeOutput) {
    let name = recipe.name();
    if recipe.needs_network() && !settings.network {
        let run = RecipeRun {
            name: name.to_string(),
            status: RecipeStatus::Skipped,
            findings: 0,
            duration_ms: 0,
            note: "skipped: network recipes are disabled (engine.network = false)".to_string(),
        };
        return (run, RecipeOutput::default());
    }
    let started = Instant::now();
    // Its own task, so that a panic is caught by the runtime and reported as a JoinError.
    let mut task = tokio::spawn(recipe.run(input));
    let outcome = tokio::time::timeout(settings.recipe_timeout, &mut task).await;
    let duration_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(Ok(Ok(output))) => {
            let run = RecipeRun {
                name: name.to_string(),
                status: RecipeStatus::Ok,
                findings: output.findings.len() as u32,
                duration_ms,
                note: output.note.clone(),
            };
            (run, output)
        }
        Ok(Ok(Err(reason))) => (
            failed_run(name, reason, duration_ms),
            RecipeOutput::default(),
        ),
        Ok(Err(join)) => {
            if join.is_panic() {
                tracing::warn!(recipe = name, "recipe panicked");
            }
            (
                failed_run(name, PANIC_NOTE.to_string(), duration_ms),
                RecipeOutput::default(),
            )
        }
        Err(_) => {
            task.abort();
            tracing::warn!(recipe = name, "recipe timed out");
            let note = format!(
                "timed out after {} s; other recipes were not affected",
                settings.recipe_timeout.as_secs_f64()
            );
            (failed_run(name, note, duration_ms), RecipeOutput::default())
        }
    }
}

/// One profile per account: a pivot finding an account the target's own run found (or a
/// second username variant reaching the same page) adds nothing. The first stays, and a
/// weak duplicate of a verified account goes.
fn dedupe_profiles(profiles: &mut Profiles) {
    let key = |p: &crate::dossier::Profile| (p.site.clone(), p.url.to_lowercase());
    let mut seen = HashSet::new();
    profiles.verified.retain(|p| seen.insert(key(p)));
    profiles.weak.retain(|p| seen.insert(key(p)));
}

/// The current month, as `risk::month_number` counts: breach ages are counted from it.
pub fn this_month() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::from(now.year()) * 12 + i64::from(u8::from(now.month())) - 1
}

fn assemble(input: &ScanInput, runs: Vec<(RecipeRun, RecipeOutput)>) -> Dossier {
    let mut profiles = Profiles::default();
    let mut contacts = Contacts::default();
    let mut phone_profile = None;
    let mut findings = Vec::new();
    let mut entities = BTreeSet::new();
    let mut facts = Vec::new();
    let mut breaches: Vec<Breach> = Vec::new();
    let mut recipe_runs = Vec::with_capacity(runs.len());
    for (run, output) in runs {
        for finding in output.findings {
            findings.push(RecipeFinding {
                recipe: run.name.clone(),
                code: finding.code,
                detail: finding.detail,
            });
        }
        entities.extend(output.entities);
        facts.extend(output.facts);
        profiles.verified.extend(output.profiles.verified);
        profiles.weak.extend(output.profiles.weak);
        for (list, found) in [
            (&mut contacts.emails, output.contacts.emails),
            (&mut contacts.phones, output.contacts.phones),
        ] {
            for contact in found {
                let known = list
                    .iter()
                    .any(|c| c.value.eq_ignore_ascii_case(&contact.value));
                if !known && !contact.value.eq_ignore_ascii_case(&input.target) {
                    list.push(contact);
                }
            }
        }
        breaches.extend(output.breaches);
        if phone_profile.is_none() {
            phone_profile = output.phone_profile;
        }
        recipe_runs.push(run);
    }
    dedupe_profiles(&mut profiles);
    for profile in profiles.verified.iter().chain(&profiles.weak) {
        entities.insert(format!(
            "account:{}:{}",
            profile.site,
            profile.username.to_lowercase()
        ));
    }
    for contact in contacts.emails.iter().chain(&contacts.phones) {
        entities.insert(format!("contact:{}", contact.value.to_lowercase()));
    }
    breaches.sort_by(|a, b| a.name.cmp(&b.name));
    breaches.dedup_by(|a, b| a.name == b.name);
    for breach in &breaches {
        entities.insert(format!("breach:{}", breach.name));
    }
    let counts = Counts {
        cases: recipe_runs
            .iter()
            .filter(|r| r.status != RecipeStatus::Skipped)
            .count() as u32,
        entities: entities.len() as u32,
        findings: findings.len() as u32,
    };
    let mut dossier = Dossier {
        risk: risk::score(
            &findings,
            &profiles,
            &contacts,
            &breaches,
            this_month(),
            crate::i18n::Lang::parse(&input.lang),
        ),
        counts,
        profiles,
        contacts,
        breaches,
        phone_profile,
        ai_summary: String::new(),
        summary_source: "template".to_string(),
        lang: input.lang.clone(),
        artifacts: Artifacts::default(),
        recipes: recipe_runs,
        findings,
    };
    dossier.ai_summary = summary::write(input, &facts, &dossier);
    dossier
}
