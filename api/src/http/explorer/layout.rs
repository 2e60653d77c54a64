//! The frame every explorer page shares (head, navigation bar, footer), the
//! error page, and small formatting helpers: hashes shortened with the
//! whole value in a tooltip, times in UTC, counts with separators.

use maud::{html, Markup, DOCTYPE};

/// The pages of the navigation bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    /// `/`.
    Overview,
    /// `/blocks`, `/blocks/{height}`.
    Blocks,
    /// `/registry`.
    Registry,
    /// `/credentials`.
    Credentials,
    /// `/stats`.
    Stats,
    /// `/cluster`.
    Cluster,
    /// An error page: no entry is current.
    None,
}

const ENTRIES: [(Nav, &str, &str); 6] = [
    (Nav::Overview, "/", "Overview"),
    (Nav::Blocks, "/blocks", "Blocks"),
    (Nav::Registry, "/registry", "Registry"),
    (Nav::Credentials, "/credentials", "Credentials"),
    (Nav::Stats, "/stats", "Statistics"),
    (Nav::Cluster, "/cluster", "Cluster"),
];

/// A whole page: `title` in the tab and as the heading, `content` below it.
pub fn page(chain_id: &str, nav: Nav, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · zkreg explorer" }
                link rel="stylesheet" href=(super::style_href());
                // No favicon request: an empty data URL (img-src allows data:).
                link rel="icon" href="data:,";
            }
            body {
                header.top {
                    div.wrap {
                        a.brand href="/" { span.logo { "zk" } "reg explorer" }
                        span.chain title="chain id" data-stat="chain_id" { (chain_id) }
                        nav aria-label="explorer" {
                            @for (entry, href, label) in ENTRIES {
                                @if entry == nav {
                                    a.current href=(href) aria-current="page" { (label) }
                                } @else {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                    }
                }
                main.wrap {
                    h1 { (title) }
                    (content)
                }
                footer.wrap {
                    p {
                        "Read from this node's replica of the public layer. The same numbers as JSON: "
                        a href="/v1/openapi.json" { "/v1" }
                        " (OpenAPI). No script runs on these pages."
                    }
                }
            }
        }
    }
}

/// The body of an error page: what went wrong and where to go instead.
pub fn error(status: u16, message: &str) -> Markup {
    html! {
        section.error data-status=(status) {
            p.status { (status) }
            p.message { (message) }
            p { a href="/" { "Back to the overview" } }
        }
    }
}

/// The first and last digits of a hex string, the whole in a tooltip and in
/// `data-full`.
pub fn short(hex: &str) -> Markup {
    let shown = if hex.len() > 20 { format!("{}…{}", &hex[..10], &hex[hex.len() - 8..]) } else { hex.to_owned() };
    html! { code.hash title=(hex) data-full=(hex) { (shown) } }
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn time(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(|| format!("{secs} s"), |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// A link to block `height`.
pub fn block_link(height: u64) -> Markup {
    html! { a href={ "/blocks/" (height) } { (height) } }
}

/// A link to the credential page of a commitment (hex).
pub fn credential_link(commitment: &str) -> Markup {
    html! { a href={ "/credentials?commitment=" (commitment) } { (short(commitment)) } }
}

/// A count with thousands separators.
pub fn count(n: u64) -> String {
    super::charts::grouped(i64::try_from(n).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_and_hashes_keep_their_whole_value() {
        assert_eq!(time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(time(1_750_000_000), "2025-06-15 15:06:40 UTC");
        assert_eq!(time(u64::MAX), format!("{} s", u64::MAX));
        let hex = "ab".repeat(32);
        let m = short(&hex).into_string();
        assert!(m.contains(&format!("data-full=\"{hex}\"")) && m.contains(">ababababab…abababab<"), "{m}");
        assert_eq!(short("abc").into_string(), r#"<code class="hash" title="abc" data-full="abc">abc</code>"#);
    }

    #[test]
    fn a_page_escapes_what_it_is_given() {
        let p = page("<chain>", Nav::Blocks, "a \"title\"", html! { p { "<x>" } }).into_string();
        assert!(p.starts_with("<!DOCTYPE html>"));
        assert!(p.contains("&lt;chain&gt;") && p.contains("&lt;x&gt;") && !p.contains("<x>"), "{p}");
        assert!(p.contains(r#"<a class="current" href="/blocks" aria-current="page">"#), "{p}");
    }
}
