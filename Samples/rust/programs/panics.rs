// Rust panics as the standard library's default hook prints them. Every panic runs in a child process of its
// own (this program, run with "case NAME"), so each is its process's first panic: the one that prints the
// RUST_BACKTRACE note. The parent prints the marker lines and waits for each child.
//
//   panics plain | backtrace | modern
use std::collections::HashMap;
use std::env;
use std::process::{Command, Stdio};
use std::thread;

fn marker(tick: &mut u32, message: &str) {
    // 2026-11-29T06:20:00Z plus 1.125 s per line: a pinned clock.
    let ms = *tick * 1125;
    *tick += 1;
    eprintln!("2026-11-29T06:20:{:02}.{:03}Z INFO  ledger: {}", ms / 1000, ms % 1000, message);
}

fn run(case: &str, backtrace: Option<&str>) {
    let mut command = Command::new(env::current_exe().expect("current exe"));
    command.args(["case", case]).stdin(Stdio::null());
    match backtrace {
        Some(value) => {
            command.env("RUST_BACKTRACE", value);
        }
        None => {
            command.env_remove("RUST_BACKTRACE");
        }
    }
    command.status().expect("child runs");
}

fn parse_amount(text: &str) -> u64 {
    text.parse::<u64>().unwrap()
}

fn load_balances(path: &str) -> HashMap<String, i64> {
    let text = std::fs::read_to_string(path).expect("balances file must be readable");
    text.lines().map(|l| (l.to_string(), 0)).collect()
}

fn check_totals(debits: i64, credits: i64) {
    assert_eq!(debits, credits, "ledger is unbalanced");
}

fn settle(accounts: &[&str]) -> &'static str {
    let index = accounts.len() + 2;
    ["a", "b"][index % 5]
}

fn recurse(depth: u64) -> u64 {
    let padding = [depth; 64];
    if depth == u64::MAX {
        return padding[3];
    }
    recurse(depth + 1) + padding[(depth % 64) as usize]
}

fn case(name: &str) {
    match name {
        "unwrap" => {
            parse_amount("12.50");
        }
        "expect" => {
            load_balances("/nonexistent/balances.csv");
        }
        "multiline" => {
            panic!("posting rejected:\n  account: 4711\n  reason: frozen");
        }
        "assert" => check_totals(1200, 1150),
        "thread" => {
            let worker = thread::Builder::new()
                .name("settlement-3".to_string())
                .spawn(|| settle(&["a", "b", "c", "d", "e"]))
                .unwrap();
            let _ = worker.join();
            eprintln!("settlement-3 joined");
        }
        "overflow" => {
            recurse(0);
        }
        _ => eprintln!("unknown case {}", name),
    }
}

fn main() {
    let args: Vec<String> = env::args().collect();
    if args.len() == 3 && args[1] == "case" {
        case(&args[2]);
        return;
    }
    let mode = args.get(1).map(String::as_str).unwrap_or("plain");
    let mut tick = 0;
    marker(&mut tick, &format!("ledger 0.9.0 starting ({})", mode));
    let cases: &[(&str, &str)] = &[
        ("unwrap", "parsing amount \"12.50\""),
        ("expect", "loading /nonexistent/balances.csv"),
        ("multiline", "posting to account 4711"),
        ("assert", "checking totals"),
        ("thread", "starting settlement-3"),
    ];
    for (name, message) in cases {
        marker(&mut tick, message);
        match mode {
            "backtrace" => run(name, Some("1")),
            "modern" => run(name, if *name == "thread" { Some("1") } else { None }),
            _ => run(name, None),
        }
    }
    match mode {
        "backtrace" => {
            marker(&mut tick, "parsing amount \"12.50\" (RUST_BACKTRACE=full)");
            run("unwrap", Some("full"));
        }
        _ => {
            marker(&mut tick, "recursing without a bound");
            run("overflow", None);
        }
    }
    marker(&mut tick, "ledger stopped");
}
