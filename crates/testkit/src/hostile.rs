//! Hostile variants of real payloads: a copy of a JSON document with some of its numeric and
//! string leaves replaced by values no honest sender produces (extreme and negative numbers,
//! times in any unit and far out of range, NUL and control characters, overlong text, ids of
//! the wrong shape). Seeded, so a failing case can be replayed.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

pub struct Mutator {
    rng: StdRng,
}

impl Mutator {
    pub fn new(seed: u64) -> Mutator {
        Mutator {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// A number between 0 and `n` (exclusive), for picking a fixture.
    pub fn pick(&mut self, n: usize) -> usize {
        self.rng.gen_range(0..n.max(1))
    }

    /// A copy of `doc` with one to four of its numeric and string leaves replaced.
    pub fn mutate(&mut self, doc: &Value) -> Value {
        let mut out = doc.clone();
        let mut leaves = Vec::new();
        collect(doc, &mut Vec::new(), &mut leaves);
        if leaves.is_empty() {
            return out;
        }
        for _ in 0..self.rng.gen_range(1..=4) {
            let Some(path) = leaves.choose(&mut self.rng).cloned() else {
                break;
            };
            let value = if self.rng.gen_bool(0.5) {
                self.number()
            } else {
                self.string()
            };
            if let Some(slot) = at(&mut out, &path) {
                *slot = value;
            }
        }
        out
    }

    fn number(&mut self) -> Value {
        let r = &mut self.rng;
        match r.gen_range(0..12) {
            0 => json!(r.r#gen::<i64>()),
            1 => json!(u64::MAX),
            2 => json!(i64::MIN),
            3 => json!(0),
            4 => json!(-1),
            // Seconds and milliseconds around now, in the year 10000 and past chrono's range.
            5 => json!(r.gen_range(1_600_000_000_i64..1_900_000_000)),
            6 => json!(r.gen_range(1_600_000_000_000_i64..1_900_000_000_000)),
            7 => json!(253_402_300_800_i64),
            8 => json!(8_640_000_000_000_000_i64),
            9 => {
                json!(10f64.powi(r.gen_range(-10..300)) * if r.gen_bool(0.5) { 1.0 } else { -1.0 })
            }
            10 => json!(r.gen_range(-1e6..1e6)),
            _ => json!(r.gen_range(0..10)),
        }
    }

    fn string(&mut self) -> Value {
        let r = &mut self.rng;
        let digits = |r: &mut StdRng, n: usize| -> String {
            (0..n)
                .map(|_| char::from(b'0' + r.gen_range(0..10)))
                .collect()
        };
        let n = r.gen_range(1..100);
        let s = match r.gen_range(0..16) {
            0 => String::new(),
            1 => "\u{0}".to_string(),
            2 => format!("a\u{0}b{}", digits(r, 3)),
            3 => "x".repeat(r.gen_range(200..20_000)),
            4 => format!("{}@c.us", digits(r, n)),
            5 => format!("{}@s.whatsapp.net", digits(r, 12)),
            6 => format!("{}@lid", digits(r, 15)),
            7 => format!("{}@g.us", digits(r, n)),
            8 => format!(
                "true_{}@c.us_{}",
                digits(r, 12),
                "A".repeat(r.gen_range(0..300))
            ),
            9 => "false_@c.us_".to_string(),
            10 => "a_b_c_d_e@x".to_string(),
            11 => "'; DROP TABLE messages; --".to_string(),
            12 => "\u{202e}\u{fffd}\u{1f600}\r\n\t\u{7}".to_string(),
            13 => digits(r, n % 30 + 1),
            14 => (0..r.gen_range(1..40))
                .map(|_| char::from_u32(r.gen_range(0..0x11_0000)).unwrap_or('?'))
                .collect(),
            _ => "message".to_string(),
        };
        Value::String(s)
    }
}

fn collect(v: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Number(_) | Value::String(_) => out.push(path.clone()),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Step::Index(i));
                collect(x, path, out);
                path.pop();
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                path.push(Step::Key(k.clone()));
                collect(x, path, out);
                path.pop();
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// Cases to run: `VENTROS_FUZZ_CASES`, else `default`.
pub fn cases(default: usize) -> usize {
    std::env::var("VENTROS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The seed: `VENTROS_FUZZ_SEED` to replay a failure, else a fixed one, so CI is repeatable.
pub fn seed() -> u64 {
    std::env::var("VENTROS_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_7E57)
}
