//! SQLite cannot change a column's constraints in place: a migration that must (drop a NOT
//! NULL, add a foreign key) builds the table anew under another name, copies the rows, drops
//! the old table and renames the new one. Only for tables no other table references
//! (dropping a referenced one would cascade). Run it inside the migration's transaction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

/// What a rebuild needs.
pub struct Rebuild<'a> {
    /// The table as it is.
    pub table: DynIden,
    /// The new shape, created under a temporary name that is then renamed to `table`.
    pub create: TableCreateStatement,
    pub new_name: DynIden,
    /// The columns the old table has, copied as they are (the new ones take their defaults).
    pub columns: &'a str,
    /// The indexes to build again on the new table: each name with its columns.
    pub indexes: Vec<(&'a str, Vec<DynIden>)>,
}

pub async fn rebuild(manager: &SchemaManager<'_>, rebuild: Rebuild<'_>) -> Result<(), DbErr> {
    let Rebuild {
        table,
        create,
        new_name,
        columns,
        indexes,
    } = rebuild;
    manager.create_table(create).await?;
    manager
        .get_connection()
        .execute_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("INSERT INTO {new_name} ({columns}) SELECT {columns} FROM {table}"),
        ))
        .await?;
    manager
        .drop_table(Table::drop().table(table.clone()).to_owned())
        .await?;
    manager
        .rename_table(Table::rename().table(new_name, table.clone()).to_owned())
        .await?;
    for (name, index_columns) in indexes {
        let mut index = Index::create();
        index.name(name).table(table.clone());
        for column in index_columns {
            index.col(column);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}
