//! The kit of the explorer's browser tests: headless Chromium (Debian's
//! `chromium`, or `ZKREG_CHROMIUM`), each run bounded in time, and readers
//! of the DOM it dumps. No HTML parser: the explorer marks its numbers with
//! stable attributes (`data-stat`, `data-series`, ...), so finding an
//! element by a marker in its start tag and reading its text is enough.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Chromium

/// How long one browser run may take before it is killed.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// The browser to drive, if there is one.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ZKREG_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("chromium")).find(|p| p.is_file())
}

/// Headless Chromium with a profile of its own, each run bounded in time.
pub struct Browser {
    bin: PathBuf,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Runs the browser on `url` with `extra` arguments; its standard output.
    pub fn run(&self, url: &str, extra: &[String]) -> String {
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", self.profile.path().display()));
        args.extend(extra.iter().cloned());
        args.push(url.to_owned());
        let log = self.profile.path().join("stderr.log");
        let mut child = Command::new(&self.bin)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.bin.display()));
        // Read the output as it comes (a DOM is larger than a pipe's buffer).
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut out = String::new();
            let _ = stdout.read_to_string(&mut out);
            out
        });
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > BROWSER_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "chromium took more than {BROWSER_TIMEOUT:?} on {url}; its log: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = reader.join().unwrap();
        assert!(status.success(), "chromium failed on {url} ({status}); its log: {}", std::fs::read_to_string(&log).unwrap_or_default());
        out
    }

    /// The page's DOM after loading, serialised.
    pub fn dom(&self, url: &str) -> String {
        let dom = self.run(url, &["--dump-dom".into()]);
        assert!(dom.contains("</html>"), "no DOM from {url}: {dom}");
        dom
    }

    /// A screenshot of the page's first `height` pixels, 1280 wide, to `path`.
    pub fn screenshot(&self, url: &str, path: &Path, height: u32) {
        let _ = std::fs::remove_file(path);
        self.run(url, &[format!("--screenshot={}", path.display()), format!("--window-size=1280,{height}")]);
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "the screenshot of {url} at {} is {size} bytes", path.display());
    }
}

// ---------------------------------------------------------------------------
// Reading a serialised DOM (no parser: the explorer marks its numbers)

pub const VOID: [&str; 6] = ["br", "input", "meta", "link", "img", "hr"];

pub fn decode(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Where the element whose start tag holds `marker` (searched from `from`
/// on) starts, where the marker is, and where the element ends.
pub fn element_at(dom: &str, marker: &str, from: usize) -> Option<(usize, usize, usize)> {
    let at = dom[from..].find(marker)? + from;
    let start = dom[..at].rfind('<')?;
    let mut i = dom[at..].find('>')? + at + 1;
    let mut depth = 1;
    while let Some(next) = dom[i..].find('<').map(|n| n + i) {
        let end = dom[next..].find('>')? + next;
        let tag = &dom[next + 1..end];
        if tag.starts_with('/') {
            depth -= 1;
            if depth == 0 {
                return Some((start, at, end + 1));
            }
        } else {
            let name = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
            if !VOID.contains(&name) && !tag.ends_with('/') {
                depth += 1;
            }
        }
        i = end + 1;
    }
    None
}

/// The outer HTML of the first element whose start tag holds `marker`.
pub fn element<'a>(dom: &'a str, marker: &str) -> &'a str {
    let (start, _, end) = element_at(dom, marker, 0).unwrap_or_else(|| panic!("no element with {marker}"));
    &dom[start..end]
}

/// Every element whose start tag holds `marker`, in order.
pub fn elements<'a>(dom: &'a str, marker: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some((start, at, end)) = element_at(dom, marker, from) {
        out.push(&dom[start..end]);
        from = at + 1;
    }
    out
}

/// The text of an element's outer HTML, whitespace collapsed.
pub fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        match rest[open..].find('>') {
            Some(close) => rest = &rest[open + close + 1..],
            None => break,
        }
    }
    out.push_str(rest);
    decode(&out).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of the first element whose start tag holds `marker`.
pub fn text(dom: &str, marker: &str) -> String {
    text_of(element(dom, marker))
}

/// The number in the text of the first element holding `marker` (separators ignored).
pub fn number(dom: &str, marker: &str) -> u64 {
    let t = text(dom, marker);
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit() || *c == ',').filter(|c| *c != ',').collect();
    digits.parse().unwrap_or_else(|_| panic!("{marker}: {t:?} is not a number"))
}

/// The values of attribute `attr` in `html`, in order.
pub fn attrs(html: &str, attr: &str) -> Vec<String> {
    let key = format!(" {attr}=\"");
    html.match_indices(&key)
        .map(|(i, _)| {
            let v = &html[i + key.len()..];
            decode(&v[..v.find('"').unwrap()])
        })
        .collect()
}

/// The values of series `series` in the chart `chart`, column by column.
pub fn series(dom: &str, chart: &str, series: &str) -> Vec<i64> {
    let figure = element(dom, &format!("data-chart=\"{chart}\""));
    let key = format!("data-series=\"{series}\" data-value=\"");
    figure
        .match_indices(&key)
        .map(|(i, _)| {
            let v = &figure[i + key.len()..];
            v[..v.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

/// The browser, or `None` (with a note) where there is none and none is required.
pub fn browser_or_skip() -> Option<Browser> {
    let Some(bin) = chromium() else {
        let required = std::env::var("ZKREG_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1");
        assert!(!required, "ZKREG_REQUIRE_CHROMIUM=1 but no chromium: install Debian's `chromium` or set ZKREG_CHROMIUM");
        eprintln!("SKIPPED: the explorer's browser test needs chromium (apt-get install chromium, or ZKREG_CHROMIUM=/path)");
        return None;
    };
    Some(Browser { bin, profile: tempfile::tempdir().unwrap() })
}

/// Where the screenshots go.
pub fn screenshots() -> PathBuf {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("explorer");
    std::fs::create_dir_all(&shots).unwrap();
    shots
}
