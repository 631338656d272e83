//! The pages of Wilkan's app that mails and card links point at, under `public_url`: the one
//! place that names them, so that the app and the mails agree (README, "Links in mails").

/// Log in with a one-time code (employees).
pub fn login(public_url: &str, code: &str) -> String {
    format!("{public_url}/inloggen?code={code}")
}

/// Choose a password with a one-time code (staff).
pub fn choose_password(public_url: &str, code: &str) -> String {
    format!("{public_url}/wachtwoord-kiezen?code={code}")
}

/// The employee's buddy page.
pub fn buddy(public_url: &str) -> String {
    format!("{public_url}/buddy")
}

/// Where a colleague writes a card.
pub fn card(public_url: &str, token: &str) -> String {
    format!("{public_url}/kaartje/{token}")
}

/// A trajectory as its coach sees it. Its id names nobody.
pub fn trajectory(public_url: &str, trajectory_id: &str) -> String {
    format!("{public_url}/trajecten/{trajectory_id}")
}

/// A trajectory's cards, where its coach reads one on hold and may stop it.
pub fn cards(public_url: &str, trajectory_id: &str) -> String {
    format!("{public_url}/trajecten/{trajectory_id}/kaartjes")
}

/// A trajectory's return to work and aftercare check-ins.
pub fn aftercare(public_url: &str, trajectory_id: &str) -> String {
    format!("{public_url}/trajecten/{trajectory_id}/nazorg")
}
