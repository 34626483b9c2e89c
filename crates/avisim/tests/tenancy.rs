//! Tenant scoping: names per tenant, X-Avi-Tenant visibility, `*`, shared admin objects.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn objects_are_scoped_to_their_tenant() {
    let sim = start().await;
    let admin = Session::login(&sim).await;
    // Tenant team-a is in the default seed.
    let team = admin.in_tenant("team-a");

    let pool = team.create("pool", json!({"name": "p"})).await;
    assert!(pool["tenant_ref"].as_str().unwrap().contains("/api/tenant/tenant-"));
    admin.create("pool", json!({"name": "p"})).await; // same name, other tenant: fine
    assert_eq!(
        team.post("/api/pool", json!({"name": "p"})).await.status,
        StatusCode::CONFLICT
    );

    assert_eq!(
        admin.list("/api/pool?name=p").await.len(),
        1,
        "admin sees only its own pool"
    );
    assert_eq!(team.list("/api/pool?name=p").await.len(), 1);
    assert_eq!(
        admin.in_tenant("*").list("/api/pool?name=p").await.len(),
        2,
        "* lists every tenant"
    );
    let team_uuid = uuid_of(&pool);
    assert_eq!(
        admin.get(&format!("/api/pool/{team_uuid}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(team.get(&format!("/api/pool/{team_uuid}")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn admin_infrastructure_is_usable_from_other_tenants() {
    let sim = start().await;
    let admin = Session::login(&sim).await;
    // Tenant team-a is in the default seed.
    let team = admin.in_tenant("team-a");
    assert_eq!(team.list("/api/cloud?name=Default-Cloud").await.len(), 1);
    let vip = team
        .create(
            "vsvip",
            json!({"name": "v", "cloud_ref": "/api/cloud/?name=Default-Cloud",
                   "vip": [{"vip_id": "0", "auto_allocate_ip": true,
                            "ipam_network_subnet": {"network_ref": "/api/network/?name=vip-net"}}]}),
        )
        .await;
    assert!(vip["vip"][0]["ip_address"]["addr"].as_str().is_some());
    let vs = team
        .create(
            "virtualservice",
            json!({"name": "vs", "vsvip_ref": "/api/vsvip/?name=v", "se_group_ref": "/api/serviceenginegroup/?name=Default-Group",
                   "application_profile_ref": "/api/applicationprofile/?name=System-L4-Application"}),
        )
        .await;
    assert!(vs["se_group_ref"].as_str().unwrap().ends_with("#Default-Group"));

    // A tenant's private objects are not referable from another tenant.
    team.create("pool", json!({"name": "private"})).await;
    let r = admin
        .post(
            "/api/poolgroup",
            json!({"name": "g", "members": [{"pool_ref": "/api/pool/?name=private"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_tenants_are_refused() {
    let sim = start().await;
    let s = Session::login(&sim).await.in_tenant("nope");
    let r = s.get("/api/pool").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error(), "Tenant 'nope' does not exist!");
    let admin = Session::login(&sim).await;
    let r = admin
        .post(
            "/api/pool",
            json!({"name": "p", "tenant_ref": "/api/tenant/?name=nope"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tenant_refs_in_bodies_pick_the_tenant() {
    let sim = start().await;
    let admin = Session::login(&sim).await;
    admin.create("tenant", json!({"name": "team-b"})).await;
    admin
        .create("pool", json!({"name": "p", "tenant_ref": "/api/tenant/?name=team-b"}))
        .await;
    assert_eq!(admin.in_tenant("team-b").list("/api/pool").await.len(), 1);
    assert!(admin.list("/api/pool").await.is_empty());
    let refused = admin
        .delete(&format!(
            "/api/tenant/{}",
            uuid_of(&admin.list("/api/tenant?name=team-b").await[0])
        ))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "a tenant with objects cannot be deleted"
    );
}
