//! Object CRUD, per-call tenants, pagination and the typed error classes.

use avi_client::{Client, ErrorKind, Query, Tenant};
use futures::{StreamExt, TryStreamExt, stream};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::common::{config, sim};

/// A typed view of a pool: the client works with any `DeserializeOwned`, not only `Value`.
#[derive(Debug, Deserialize)]
struct PoolView {
    uuid: String,
    name: String,
    tenant_ref: String,
    #[serde(rename = "_last_modified")]
    last_modified: String,
}

#[tokio::test]
async fn create_get_update_delete_roundtrip() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    let created: PoolView = client
        .create("pool", &json!({"name": "rt-pool"}))
        .await
        .expect("create");
    assert_eq!(created.name, "rt-pool");
    assert!(created.uuid.starts_with("pool-"), "{}", created.uuid);
    assert!(created.tenant_ref.contains("/api/tenant/admin"));

    let fetched: Value = client.get("pool", &created.uuid).await.expect("get");
    assert_eq!(fetched["name"], "rt-pool");
    let by_name: Option<PoolView> = client.get_by_name("pool", "rt-pool").await.expect("by name");
    assert_eq!(by_name.expect("found").uuid, created.uuid);
    let missing: Option<Value> = client.get_by_name("pool", "no-such-pool").await.expect("by name");
    assert!(missing.is_none());

    let mut body = fetched.clone();
    body["description"] = json!("v2");
    let updated: PoolView = client.update("pool", &created.uuid, &body).await.expect("update");
    assert_ne!(updated.last_modified, created.last_modified);

    client.delete("pool", &created.uuid).await.expect("delete");
    let err = client.get::<Value>("pool", &created.uuid).await.expect_err("gone");
    assert!(err.is_not_found(), "{err:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn per_call_tenant_and_all_tenants() {
    let sim = sim().await;
    let admin = Client::connect(config(&sim)).await.expect("login");
    let _: Value = admin
        .create("tenant", &json!({"name": "t1"}))
        .await
        .expect("create tenant");

    let t1 = admin.tenant("t1");
    let pool: Value = t1
        .create("pool", &json!({"name": "tenant-pool"}))
        .await
        .expect("create in t1");
    assert!(
        pool["tenant_ref"]
            .as_str()
            .is_some_and(|r| !r.ends_with("/tenant/admin")),
        "{pool}"
    );

    let in_admin: Vec<Value> = admin
        .list("pool", &Query::new().name("tenant-pool"))
        .await
        .expect("admin list");
    assert!(in_admin.is_empty(), "t1's pool is not visible in admin");
    let in_t1: Vec<Value> = t1
        .list("pool", &Query::new().name("tenant-pool"))
        .await
        .expect("t1 list");
    assert_eq!(in_t1.len(), 1);
    let everywhere: Vec<Value> = admin.all_tenants().list("pool", &Query::new()).await.expect("* list");
    assert_eq!(everywhere.len(), 1);
    let star: Vec<Value> = admin.tenant("*").list("pool", &Query::new()).await.expect("* list");
    assert_eq!(star.len(), 1);
    assert_eq!(admin.tenant("*").current_tenant(), &Tenant::All);

    let log = sim.request_log(0);
    assert!(
        log.iter().any(|r| r.tenant.as_deref() == Some("*")),
        "X-Avi-Tenant: * was sent"
    );
    assert!(log.iter().any(|r| r.tenant.as_deref() == Some("t1")));

    let err = admin
        .tenant("no-such-tenant")
        .list::<Value>("pool", &Query::new())
        .await
        .expect_err("unknown tenant");
    assert_eq!(err.status(), Some(403));
    assert!(
        err.message()
            .is_some_and(|m| m.contains("Tenant 'no-such-tenant' does not exist")),
        "{err}"
    );
    assert!(err.is_slow_retry());
    sim.shutdown().await;
}

#[tokio::test]
async fn pagination_follows_next() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    stream::iter(0..450)
        .map(|i| {
            let c = client.clone();
            async move {
                c.create::<_, Value>("pool", &json!({"name": format!("page-pool-{i:03}")}))
                    .await
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await
        .expect("create 450 pools");

    sim.reset_counters();
    let all: Vec<Value> = client
        .list("pool", &Query::new().name_contains("page-pool-").page_size(200))
        .await
        .expect("list");
    assert_eq!(all.len(), 450);
    let mut names: Vec<&str> = all.iter().filter_map(|p| p["name"].as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 450, "no duplicates across pages");
    assert!(sim.counters().total(Some("GET"), Some("pool")) >= 3);

    // Default page size is 200 too, so the same three pages.
    sim.reset_counters();
    let raw = client.list_raw("pool", &Query::new()).await.expect("list_raw");
    assert_eq!(raw.len(), 450);
    assert_eq!(sim.counters().total(Some("GET"), Some("pool")), 3);

    let page = client
        .list_page::<Value>("pool", &Query::new().page_size(10))
        .await
        .expect("one page");
    assert_eq!(page.count, 450);
    assert_eq!(page.results.len(), 10);
    assert!(page.next.is_some());
    sim.shutdown().await;
}

#[tokio::test]
async fn typed_error_classes() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    let pool: Value = client
        .create("pool", &json!({"name": "err-pool"}))
        .await
        .expect("create");
    let pool_uuid = pool["uuid"].as_str().expect("uuid").to_owned();

    // 409: duplicate name.
    let dup = client
        .create::<_, Value>("pool", &json!({"name": "err-pool"}))
        .await
        .expect_err("duplicate");
    assert_eq!(dup.status(), Some(409));
    assert!(dup.is_already_exists(), "{dup}");
    assert_eq!(dup.kind(), ErrorKind::AlreadyExists);
    assert_eq!(
        sim.counters().total(Some("POST"), Some("pool")),
        2,
        "409 is not retried"
    );

    // 404: unknown uuid, on GET, PUT and DELETE.
    let missing = "pool-00000000-0000-0000-0000-000000000000";
    let nf = client.get::<Value>("pool", missing).await.expect_err("404");
    assert!(nf.is_not_found());
    assert_eq!(nf.message(), Some("Pool object not found!"));
    let nf = client.delete("pool", missing).await.expect_err("404 on delete");
    assert!(nf.is_not_found(), "{nf}");
    let nf = client
        .update::<_, Value>("pool", missing, &json!({"name": "x"}))
        .await
        .expect_err("404 on put");
    assert!(nf.is_not_found(), "{nf}");

    // 403: delete of a referenced object.
    let _: Value = client
        .create(
            "poolgroup",
            &json!({"name": "err-pg", "members": [{"pool_ref": format!("/api/pool/{pool_uuid}")}]}),
        )
        .await
        .expect("create poolgroup");
    let referenced = client.delete("pool", &pool_uuid).await.expect_err("referenced");
    assert!(referenced.is_referenced(), "{referenced}");
    assert!(!referenced.is_retryable());
    assert_eq!(referenced.status(), Some(403));

    // 412: stale `_last_modified` in a full-object PUT.
    let mut stale = pool.clone();
    let mut fresh = pool.clone();
    fresh["description"] = json!("first writer");
    let _: Value = client.update("pool", &pool_uuid, &fresh).await.expect("first update");
    stale["description"] = json!("second writer");
    let conflict = client
        .update::<_, Value>("pool", &pool_uuid, &stale)
        .await
        .expect_err("stale");
    assert!(conflict.is_precondition_failed(), "{conflict}");
    assert!(conflict.is_retryable());

    // Display carries method, path, status and the controller message.
    let text = nf.to_string();
    assert!(text.starts_with("PUT /api/pool/"), "{text}");
    assert!(text.contains("404"), "{text}");
    sim.shutdown().await;
}

#[tokio::test]
async fn query_filters_reach_the_controller() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    for name in ["f-a", "f-b", "f-c"] {
        let _: Value = client
            .create("pool", &json!({"name": name, "created_by": "ako-test"}))
            .await
            .expect("create");
    }
    let two: Vec<Value> = client
        .list("pool", &Query::new().name_in(["f-a", "f-c"]))
        .await
        .expect("name.in");
    assert_eq!(two.len(), 2);
    let mine: Vec<Value> = client
        .list("pool", &Query::new().created_by("ako-test"))
        .await
        .expect("created_by");
    assert_eq!(mine.len(), 3);
    let named: Vec<Value> = client
        .list(
            "pool",
            &Query::new().name("f-b").cloud_ref_name("Default-Cloud").include_name(),
        )
        .await
        .expect("include_name");
    assert_eq!(named.len(), 1);
    assert!(
        named[0]["cloud_ref"]
            .as_str()
            .is_some_and(|r| r.ends_with("#Default-Cloud")),
        "{}",
        named[0]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn avi_model_types_roundtrip() {
    use avi_model::objects::{Pool, PoolGroup};

    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    let pool = Pool {
        name: Some("model-pool".into()),
        description: Some("typed".into()),
        ..Pool::default()
    };
    let stored = client.create_object(&pool).await.expect("create typed");
    let uuid = stored.uuid.clone().expect("uuid filled in");
    assert!(stored.last_modified.is_some());

    let fetched: Pool = client.get_object(&uuid).await.expect("get typed");
    assert_eq!(fetched.name.as_deref(), Some("model-pool"));
    let by_name = client.get_object_by_name::<Pool>("model-pool").await.expect("by name");
    assert_eq!(by_name.and_then(|p| p.uuid), Some(uuid.clone()));

    let mut changed = fetched.clone();
    changed.description = Some("typed v2".into());
    let updated = client.update_object(&uuid, &changed).await.expect("update typed");
    assert_eq!(updated.description.as_deref(), Some("typed v2"));

    let listed: Vec<Pool> = client
        .list_objects(&Query::new().name("model-pool"))
        .await
        .expect("list typed");
    assert_eq!(listed.len(), 1);
    assert!(
        client
            .list_objects::<PoolGroup>(&Query::new())
            .await
            .expect("empty")
            .is_empty()
    );

    client.delete_object::<Pool>(&uuid).await.expect("delete typed");
    assert!(client.get_object::<Pool>(&uuid).await.expect_err("gone").is_not_found());
    sim.shutdown().await;
}
