//! The identity service's HTML: the device verification page and the sign-in page of the
//! authorization code flow. Server-rendered, no JavaScript; every value is escaped.

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for char in text.chars() {
        match char {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}}\
label{{display:block;margin:.8rem 0 .2rem}}input{{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}}\
button{{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem;margin-right:.5rem}}.error{{color:#a00}}.ok{{color:#070}}</style>\
</head><body><h1>{title}</h1>{body}</body></html>",
        title = escape(title)
    )
}

/// A hidden form field.
pub(crate) fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape(name),
        escape(value)
    )
}

fn error_line(error: Option<&str>) -> String {
    error.map_or_else(String::new, |error| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", escape(error))
    })
}

fn credentials() -> &'static str {
    "<label for=\"username\">User name</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>"
}

/// The device page: enter the code shown on the device, sign in, approve or deny.
pub(crate) fn device_form(
    user_code: &str,
    tenant: Option<&str>,
    csrf: &str,
    error: Option<&str>,
) -> String {
    let tenant_line = tenant.map_or_else(String::new, |tenant| {
        format!(
            "<p>The device asks to act in tenant <strong>{}</strong>.</p>",
            escape(tenant)
        )
    });
    layout(
        "Sign in a device",
        &format!(
            "<p>Enter the code your device shows, sign in, and approve.</p>{}{tenant_line}\
<form method=\"post\" action=\"device\">{}\
<label for=\"user_code\">Code</label><input id=\"user_code\" name=\"user_code\" value=\"{}\" autocomplete=\"off\" required>{}\
<button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
            error_line(error),
            hidden("csrf", csrf),
            escape(user_code),
            credentials()
        ),
    )
}

/// The device page after a decision.
pub(crate) fn device_done(approved: bool, display_name: &str) -> String {
    if approved {
        layout(
            "Device signed in",
            &format!(
                "<p class=\"ok\">Signed in as {}. You can close this page and return to your device.</p>",
                escape(display_name)
            ),
        )
    } else {
        layout(
            "Sign-in denied",
            "<p>The device was not signed in. You can close this page.</p>",
        )
    }
}

/// The sign-in page of the authorization code flow; `fields` are the request's hidden fields.
pub(crate) fn authorize_form(
    client_id: &str,
    fields: &str,
    csrf: &str,
    error: Option<&str>,
) -> String {
    layout(
        "Sign in",
        &format!(
            "<p>The application <strong>{}</strong> asks to act as you on the OctoMesh platform.</p>{}\
<form method=\"post\" action=\"authorize\">{}{fields}{}\
<button type=\"submit\" name=\"decision\" value=\"approve\">Sign in and allow</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
            escape(client_id),
            error_line(error),
            hidden("csrf", csrf),
            credentials()
        ),
    )
}

/// An error that must not go back to the client (bad client or redirect URI).
pub(crate) fn error_page(message: &str) -> String {
    layout(
        "Sign-in error",
        &format!("<p class=\"error\">{}</p>", escape(message)),
    )
}
