//! Collection reads: `{"count","results","next"}` pages, followed via `next` until exhausted.

use std::collections::HashSet;

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::{Call, Client, apply_query, decode};
use crate::error::{Error, Result};
use crate::query::{DEFAULT_PAGE_SIZE, Query};

/// One page of a collection as the controller returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    /// Total number of matches (across all pages).
    #[serde(default)]
    pub count: u64,
    /// Objects on this page.
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    /// Absolute URL of the next page; absent on the last one.
    #[serde(default)]
    pub next: Option<String>,
}

impl Client {
    /// All objects of `object_type` matching `query`, following `next` across pages.
    /// `page_size` defaults to 200 (the controller maximum) unless the query sets it.
    pub async fn list<T: DeserializeOwned>(&self, object_type: &str, query: &Query) -> Result<Vec<T>> {
        let query = if query.get("page_size").is_some() {
            query.clone()
        } else {
            query.clone().page_size(DEFAULT_PAGE_SIZE)
        };
        let mut url = self.inner.object_url(object_type, None)?;
        apply_query(&mut url, &query);

        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            // A controller that hands out the same `next` again would otherwise loop forever.
            if !seen.insert(url.to_string()) {
                return Err(Error::decode(
                    "GET",
                    url.path(),
                    "pagination returned an already fetched page",
                ));
            }
            let page: Page<T> = self.fetch_page(url.clone()).await?;
            out.extend(page.results);
            if let Some(link) = page.next.filter(|n| !n.is_empty()) {
                next = Some(self.next_url(&url, &link)?);
            }
        }
        Ok(out)
    }

    /// [`Client::list`] returning raw JSON objects.
    pub async fn list_raw(&self, object_type: &str, query: &Query) -> Result<Vec<serde_json::Value>> {
        self.list(object_type, query).await
    }

    /// One page of a collection exactly as requested (no `next` following, no default page size).
    pub async fn list_page<T: DeserializeOwned>(&self, object_type: &str, query: &Query) -> Result<Page<T>> {
        let mut url = self.inner.object_url(object_type, None)?;
        apply_query(&mut url, query);
        self.fetch_page(url).await
    }

    /// The object of `object_type` named `name` in this handle's tenant, if any.
    /// More than one match (possible with `X-Avi-Tenant: *`) is an [`Error::Ambiguous`].
    pub async fn get_by_name<T: DeserializeOwned>(&self, object_type: &str, name: &str) -> Result<Option<T>> {
        let page: Page<T> = self.list_page(object_type, &Query::new().name(name)).await?;
        let found = page.results.len() as u64;
        if page.count.max(found) > 1 {
            return Err(Error::Ambiguous {
                object_type: object_type.to_owned(),
                name: name.to_owned(),
                count: page.count.max(found),
            });
        }
        Ok(page.results.into_iter().next())
    }

    async fn fetch_page<T: DeserializeOwned>(&self, url: Url) -> Result<Page<T>> {
        let call = Call::new(Method::GET, url, &self.tenant);
        let bytes = self.inner.execute(&call).await?;
        decode(&bytes, "GET", &call.path)
    }

    /// The URL for a `next` link. Only its path and query are used, on our own base URL:
    /// controllers behind NAT or a VIP report a host we may not be able to reach (AKO does
    /// the same by splitting on `/api/<type>`), and our CSRF token must never go elsewhere.
    fn next_url(&self, current: &Url, link: &str) -> Result<Url> {
        let parsed = current
            .join(link)
            .map_err(|e| Error::decode("GET", current.path(), format!("invalid next link: {e}")))?;
        let mut url = self.inner.base.clone();
        url.set_path(parsed.path());
        url.set_query(parsed.query());
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Credential};

    #[test]
    fn next_link_is_rebased_on_controller() {
        let c = Client::new(Config::new("127.0.0.1:8443", "admin", Credential::password("p"))).unwrap();
        let cur = Url::parse("https://127.0.0.1:8443/api/pool?page_size=200").unwrap();
        let next = c
            .next_url(&cur, "https://avi-controller/api/pool?page_size=200&page=2")
            .unwrap();
        assert_eq!(next.as_str(), "https://127.0.0.1:8443/api/pool?page_size=200&page=2");
        let rel = c.next_url(&cur, "/api/pool?page=3").unwrap();
        assert_eq!(rel.as_str(), "https://127.0.0.1:8443/api/pool?page=3");
    }

    #[test]
    fn page_shapes() {
        let p: Page<serde_json::Value> = serde_json::from_str(r#"{"count": 0, "results": []}"#).unwrap();
        assert!(p.next.is_none() && p.results.is_empty());
        let p: Page<serde_json::Value> =
            serde_json::from_str(r#"{"count": 3, "results": [{}], "next": "https://h/api/pool?page=2"}"#).unwrap();
        assert_eq!(p.count, 3);
        assert!(p.next.is_some());
    }
}
