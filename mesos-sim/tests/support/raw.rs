//! Raw HTTP requests to the v1 endpoints, for tests of what they refuse:
//! any method, any headers, any body; no redirects followed.

use reqwest::Method;

/// What came back: status, `Location`, `Allow`, `Content-Type`, body text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub allow: Option<String>,
    pub content_type: Option<String>,
    pub text: String,
}

/// One request: `headers` are (name, value) pairs.
pub async fn request(method: Method, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let mut builder = client.request(method, url).body(body);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = builder.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (location, allow, content_type) =
        (header("Location"), header("Allow"), header("Content-Type"));
    let status = response.status().as_u16();
    // A SUBSCRIBE that succeeds streams forever: read no body then.
    let text = if status == 200 {
        String::new()
    } else {
        response.text().await.unwrap_or_default()
    };
    Answer {
        status,
        location,
        allow,
        content_type,
        text,
    }
}

/// POSTs a JSON body (`application/json`) with extra headers.
pub async fn post_json(url: &str, body: &serde_json::Value, extra: &[(&str, &str)]) -> Answer {
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    request(
        Method::POST,
        url,
        &headers,
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// Asserts a refusal's status and exact text.
#[track_caller]
pub fn assert_refused(answer: &Answer, status: u16, text: &str) {
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (status, text),
        "{answer:?}"
    );
}
