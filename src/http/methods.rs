//! Which methods a path takes, from the OpenAPI document: a request with another method gets
//! 405 and an `Allow` header instead of the 404 that actix's routing gives it ("does not exist"
//! would send a user looking for a record that is there).

use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::OpenApi as Document;

/// The operations' paths as segments (`None` for a `{parameter}`), each with its methods.
#[derive(Clone, Default)]
pub struct Allowed {
    paths: Vec<(Vec<Option<String>>, Vec<&'static str>)>,
}

impl Allowed {
    pub fn of(api: &Document) -> Allowed {
        let paths = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .split('/')
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_string()))
                    .collect();
                let mut methods = Vec::new();
                for (method, op) in [
                    (HttpMethod::Get, &item.get),
                    (HttpMethod::Post, &item.post),
                    (HttpMethod::Put, &item.put),
                    (HttpMethod::Patch, &item.patch),
                    (HttpMethod::Delete, &item.delete),
                ] {
                    if op.is_some() {
                        let get = method == HttpMethod::Get;
                        methods.push(name(method));
                        if get {
                            methods.push("HEAD");
                        }
                    }
                }
                (segments, methods)
            })
            .collect();
        Allowed { paths }
    }

    /// The methods `path` takes, if it is an operation's path: those of every path it fits, as
    /// `/cards/{id}` (PATCH) and `/cards/{token}` (GET, POST) are one path to the router.
    pub fn methods(&self, path: &str) -> Option<Vec<&'static str>> {
        let given: Vec<&str> = path.split('/').collect();
        let mut found: Option<Vec<&'static str>> = None;
        for (_, methods) in self.paths.iter().filter(|(segments, _)| {
            segments.len() == given.len()
                && segments.iter().zip(&given).all(|(s, g)| s.as_deref().map_or(!g.is_empty(), |s| s == *g))
        }) {
            let all = found.get_or_insert_with(Vec::new);
            for m in methods {
                if !all.contains(m) {
                    all.push(m);
                }
            }
        }
        found
    }
}

fn name(method: HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Head => "HEAD",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Trace => "TRACE",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_known_path_names_its_methods() {
        let allowed = super::Allowed::of(&super::super::openapi::document());
        let one = allowed.methods("/api/v1/trajectories/abc").expect("a trajectory's path");
        assert!(one.contains(&"GET") && one.contains(&"PATCH") && !one.contains(&"PUT"), "{one:?}");
        assert!(allowed.methods("/api/v1/trajectories//").is_none());
        // Two paths the router cannot tell apart: the methods of both.
        let card = allowed.methods("/api/v1/cards/abc").expect("a card's path");
        assert!(["GET", "HEAD", "POST", "PATCH"].iter().all(|m| card.contains(m)), "{card:?}");
        assert!(allowed.methods("/api/v1/bestaat-niet").is_none());
    }
}
