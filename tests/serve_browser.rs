//! A real browser on the pages: headless Chromium (Debian's, driven over WebDriver by its
//! chromedriver on loopback) opens the *Now* page, is sent to the login, logs in through the
//! form, and sees the alert table of each site and its picture, loaded. Then the other pages
//! open from the navigation. CI installs Chromium and sets `VADER_REQUIRE_SERVICES=1`, so this
//! cannot skip there.
//!
//! `VADER_SCREENSHOT=docs/now.png cargo test --test serve_browser` also saves the *Now* page
//! as the README shows it.

mod support;

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use support::web::{serviced_site, start_pages};
use vader::serve::users::{Role, Users};

#[test]
fn a_buyer_logs_in_and_sees_the_alert_and_its_picture() {
    let Some(driver) = support::browser::start() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let config = serviced_site(dir.path());
    Users::load(&Users::path_in(&dir.path().join("home")))
        .expect("users")
        .add("alice", Role::Buyer, "correct horse battery staple", chrono::Utc::now())
        .expect("add alice");
    let addr = start_pages(&config);
    let base = format!("http://{addr}");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(support::browser::capabilities(&driver, 1000, 600))
            .connect(&driver.url)
            .await
            .expect("a Chromium session");

        // Not logged in: the page sends the browser to the login form.
        client.goto(&format!("{base}/now")).await.expect("open /now");
        assert_eq!(client.current_url().await.expect("url").path(), "/login");
        client.find(Locator::Id("name")).await.expect("name").send_keys("alice").await.expect("type");
        client
            .find(Locator::Id("password"))
            .await
            .expect("password")
            .send_keys("correct horse battery staple")
            .await
            .expect("type");
        client.find(Locator::Id("login")).await.expect("button").click().await.expect("log in");

        // The Now page: a table per site with both meters, the picture loaded. The click may
        // return before the form's navigation ends (the password hash takes its time), so the
        // test waits for the page, up to 30 s, and shows what the browser has if it never comes.
        let started = std::time::Instant::now();
        while client.current_url().await.expect("url").path() != "/now" {
            if started.elapsed() > std::time::Duration::from_secs(30) {
                let html = client.source().await.unwrap_or_default();
                panic!("the login did not lead to /now (the session cookie was not kept?): {html}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let table =
            client.find(Locator::Css("table.alert[data-site=estuary]")).await.expect("the alert table");
        let text = table.text().await.expect("table text");
        assert!(text.contains("L18442") && text.contains("L18447"), "{text}");
        let rows = client.find_all(Locator::Css("table.alert tr")).await.expect("rows");
        assert_eq!(rows.len(), 3, "a header and two meters");
        let loaded = client
            .execute(
                "const img = document.getElementById('alert-picture'); \
                 return img.complete ? img.naturalWidth : -1;",
                vec![],
            )
            .await
            .expect("script");
        assert_eq!(loaded.as_i64(), Some(1080), "the picture loaded at its width");
        if let Ok(path) = std::env::var("VADER_SCREENSHOT") {
            let png = client.screenshot().await.expect("screenshot");
            std::fs::write(&path, png).expect("write the screenshot");
        }

        // The other pages open from the navigation.
        for (link, marker) in [
            ("Nominations", "nominations"),
            ("Value", "value"),
            ("Models", "reports"),
            ("Data", "validation"),
        ] {
            client.find(Locator::LinkText(link)).await.expect("a link").click().await.expect("follow");
            let heading = format!("<h1>{link}</h1>");
            let started = std::time::Instant::now();
            let mut html = client.source().await.expect("source");
            while !html.contains(&heading) && started.elapsed() < std::time::Duration::from_secs(30) {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                html = client.source().await.expect("source");
            }
            assert!(html.contains(&heading), "{link}: {html}");
            assert!(html.contains(marker), "{link}: {marker}");
        }
        client.close().await.expect("close the browser");
    });
}
