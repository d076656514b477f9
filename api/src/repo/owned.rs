//! Queries shared by every table whose rows belong to one user: each is scoped by the owner, so another user's id
//! finds nothing.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter as _,
};

use crate::entity::{birthday, movie_alert, task};

/// A table with an `id` primary key and a `user_id` owner.
pub trait OwnedEntity: EntityTrait {
    fn id_column() -> Self::Column;
    fn owner_column() -> Self::Column;
}

macro_rules! owned {
    ($($module:ident),*) => {
        $(impl OwnedEntity for $module::Entity {
            fn id_column() -> Self::Column {
                $module::Column::Id
            }

            fn owner_column() -> Self::Column {
                $module::Column::UserId
            }
        })*
    };
}

owned!(task, birthday, movie_alert);

/// One row of the owner's, or `None`.
pub async fn find<E: OwnedEntity>(db: &impl ConnectionTrait, user_id: i64, id: i64) -> Result<Option<E::Model>, DbErr> {
    E::find()
        .filter(E::id_column().eq(id))
        .filter(E::owner_column().eq(user_id))
        .one(db)
        .await
}

/// Locks a row of the owner's for the rest of the transaction, with a write that changes nothing; `false` when there
/// is no such row. On PostgreSQL this takes the row lock, so concurrent changes of one row run one after the other;
/// on SQLite it takes the write lock before anything is read, so the transaction cannot fail to upgrade later.
pub async fn lock<E: OwnedEntity>(db: &impl ConnectionTrait, user_id: i64, id: i64) -> Result<bool, DbErr> {
    let result = E::update_many()
        .col_expr(E::id_column(), sea_orm::sea_query::Expr::col(E::id_column()))
        .filter(E::id_column().eq(id))
        .filter(E::owner_column().eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Inserts a row; its `id` is ignored and assigned by the database.
pub async fn insert<E, A>(db: &impl ConnectionTrait, model: E::Model) -> Result<E::Model, DbErr>
where
    E: OwnedEntity,
    E::Model: IntoActiveModel<A>,
    A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    let mut active = model.into_active_model();
    active.not_set(E::id_column());
    active.insert(db).await
}

/// Saves every field of a row the caller has loaded through [`find`].
pub async fn update<E, A>(db: &impl ConnectionTrait, model: E::Model) -> Result<E::Model, DbErr>
where
    E: OwnedEntity,
    E::Model: IntoActiveModel<A>,
    A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    model.into_active_model().reset_all().update(db).await
}

/// Deletes a row of the owner's; `false` when there is none.
pub async fn delete<E: OwnedEntity>(db: &impl ConnectionTrait, user_id: i64, id: i64) -> Result<bool, DbErr> {
    let result = E::delete_many()
        .filter(E::id_column().eq(id))
        .filter(E::owner_column().eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
