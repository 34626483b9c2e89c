//! Convenience calls for `avi-model` types: the object type comes from [`AviObject::TYPE`].

use avi_model::AviObject;

use crate::client::Client;
use crate::error::Result;
use crate::query::Query;

impl Client {
    /// All objects of type `T` matching `query` (all pages).
    pub async fn list_objects<T: AviObject>(&self, query: &Query) -> Result<Vec<T>> {
        self.list(T::TYPE.path(), query).await
    }

    /// The object of type `T` with this uuid.
    pub async fn get_object<T: AviObject>(&self, uuid: &str) -> Result<T> {
        self.get(T::TYPE.path(), uuid).await
    }

    /// The object of type `T` with this name in this handle's tenant, if any.
    pub async fn get_object_by_name<T: AviObject>(&self, name: &str) -> Result<Option<T>> {
        self.get_by_name(T::TYPE.path(), name).await
    }

    /// Create `object`; returns it as stored (uuid, `_last_modified` and defaults filled in).
    pub async fn create_object<T: AviObject>(&self, object: &T) -> Result<T> {
        self.create(T::TYPE.path(), object).await
    }

    /// Replace the object with this uuid by `object` (full-object PUT).
    pub async fn update_object<T: AviObject>(&self, uuid: &str, object: &T) -> Result<T> {
        self.update(T::TYPE.path(), uuid, object).await
    }

    /// Delete the object of type `T` with this uuid.
    pub async fn delete_object<T: AviObject>(&self, uuid: &str) -> Result<()> {
        self.delete(T::TYPE.path(), uuid).await
    }
}
