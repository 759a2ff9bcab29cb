//! The suite's output: a table per benchmark, `results.csv`, one SVG plot per
//! benchmark.

use std::fmt::Write as _;
use std::path::Path;

use super::Row;

/// `x` with an SI suffix: `12.34M`.
pub fn si(x: f64) -> String {
    match x {
        x if x >= 1e9 => format!("{:.2}G", x / 1e9),
        x if x >= 1e6 => format!("{:.2}M", x / 1e6),
        x if x >= 1e3 => format!("{:.1}k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

/// The rows of `bench`, and its implementations in the order they ran.
fn of<'r>(bench: &str, rows: &'r [Row]) -> (Vec<&'r Row>, Vec<&'static str>) {
    let mine: Vec<&Row> = rows.iter().filter(|r| r.bench == bench).collect();
    let mut imps: Vec<&'static str> = Vec::new();
    for r in &mine {
        if !imps.contains(&r.imp) {
            imps.push(r.imp);
        }
    }
    (mine, imps)
}

/// A benchmark's table: ops/s per thread count and implementation, the ratio
/// chords / best peer, and chords' allocations per operation.
pub fn print_table(bench: &str, rows: &[Row]) {
    let (rows, imps) = of(bench, rows);
    if rows.is_empty() {
        return;
    }
    let width = |imp: &str| imp.len().max(9);
    let name = bench.len().max(18);
    let mut line = format!("{bench:<name$} {:>7}", "threads");
    for imp in &imps {
        write!(line, "  {imp:>w$}", w = width(imp)).unwrap();
    }
    println!("{line}  {:>11}  {:>16}", "chords/best", "chords allocs/op");
    let mut threads: Vec<usize> = rows.iter().map(|r| r.threads).collect();
    threads.dedup();
    for t in threads {
        let at = |imp: &str| rows.iter().find(|r| r.threads == t && r.imp == imp);
        let mut line = format!("{:<name$} {t:>7}", "");
        for imp in &imps {
            let cell = at(imp).map_or("-".into(), |r| si(r.ops_per_sec));
            write!(line, "  {cell:>w$}", w = width(imp)).unwrap();
        }
        let best = imps
            .iter()
            .filter(|&&imp| imp != "chords")
            .filter_map(|imp| at(imp).map(|r| r.ops_per_sec))
            .fold(0.0, f64::max);
        if let Some(c) = at("chords") {
            let ratio = c.ops_per_sec / best;
            write!(line, "  {ratio:>11.2}  {:>16.3}", c.allocs_per_op).unwrap();
        }
        println!("{line}");
    }
    println!();
}

fn csv(rows: &[Row]) -> String {
    let mut out =
        String::from("benchmark,threads,implementation,ops_per_sec,ns_per_op,allocs_per_op\n");
    for r in rows {
        let ns = 1e9 / r.ops_per_sec;
        let (bench, threads, imp, ops, allocs) =
            (r.bench, r.threads, r.imp, r.ops_per_sec, r.allocs_per_op);
        writeln!(out, "{bench},{threads},{imp},{ops:.0},{ns:.2},{allocs:.4}").unwrap();
    }
    out
}

/// Writes `results.csv` and a plot for each of `benches` into `dir`.
pub fn write_files(dir: &Path, rows: &[Row], benches: &[&str]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("results.csv"), csv(rows))?;
    for &bench in benches {
        let (mine, imps) = of(bench, rows);
        if !mine.is_empty() {
            std::fs::write(dir.join(format!("{bench}.svg")), svg(bench, &mine, &imps))?;
        }
    }
    Ok(())
}

const COLOURS: [&str; 6] = [
    "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 400.0;
/// The plot area: left, top, width, height.
const PLOT: (f64, f64, f64, f64) = (70.0, 40.0, 550.0, 310.0);

fn line(s: &mut String, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, width: u32) {
    writeln!(
        s,
        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{width}"/>"#
    )
    .unwrap();
}

fn text(s: &mut String, (x, y): (f64, f64), anchor: &str, content: &str) {
    let content = content.replace('&', "&amp;").replace('<', "&lt;");
    writeln!(
        s,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}">{content}</text>"#
    )
    .unwrap();
}

/// Throughput against threads (log scale), one line per implementation.
fn svg(bench: &str, rows: &[&Row], imps: &[&str]) -> String {
    let (left, top, width, height) = PLOT;
    let (bottom, right) = (top + height, left + width);
    let mut threads: Vec<usize> = rows.iter().map(|r| r.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let (lo, hi) = (threads[0] as f64, threads[threads.len() - 1] as f64);
    let x = |t: usize| match hi > lo {
        true => left + (t as f64 / lo).log2() / (hi / lo).log2() * width,
        false => left + width / 2.0,
    };
    // From 0 to the first of 1, 2, 5, 10 times a power of ten above every point.
    let max = rows.iter().map(|r| r.ops_per_sec).fold(1.0, f64::max);
    let power = 10f64.powf(max.log10().floor());
    let ceiling = [1.0, 2.0, 5.0, 10.0]
        .map(|m| m * power)
        .into_iter()
        .find(|&v| v >= max)
        .unwrap_or(10.0 * power);
    let y = |v: f64| bottom - v / ceiling * height;

    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>
"#
    );
    let title = format!("{bench}: throughput (ops/s) against threads");
    text(&mut s, (WIDTH / 2.0, 22.0), "middle", &title);
    for i in 0..=5 {
        let v = ceiling * f64::from(i) / 5.0;
        line(&mut s, (left, y(v)), (right, y(v)), "#ddd", 1);
        text(&mut s, (left - 6.0, y(v) + 4.0), "end", &si(v));
    }
    for &t in &threads {
        line(&mut s, (x(t), top), (x(t), bottom), "#eee", 1);
        text(&mut s, (x(t), bottom + 18.0), "middle", &t.to_string());
    }
    text(
        &mut s,
        (left + width / 2.0, HEIGHT - 10.0),
        "middle",
        "threads",
    );
    writeln!(
        s,
        r#"<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" stroke="black"/>"#
    )
    .unwrap();
    for (k, &imp) in imps.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let points: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.imp == imp)
            .map(|r| (x(r.threads), y(r.ops_per_sec)))
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        )
        .unwrap();
        for (px, py) in points {
            writeln!(
                s,
                r#"<circle cx="{px:.1}" cy="{py:.1}" r="3" fill="{colour}"/>"#
            )
            .unwrap();
        }
        let ly = top + 16.0 + 16.0 * k as f64;
        line(&mut s, (left + 10.0, ly), (left + 30.0, ly), colour, 2);
        text(&mut s, (left + 36.0, ly + 4.0), "start", imp);
    }
    s.push_str("</svg>\n");
    s
}
