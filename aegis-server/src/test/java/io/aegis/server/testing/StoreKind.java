package io.aegis.server.testing;

/** The stores every store-touching test runs against. */
public enum StoreKind {
  SQLITE,
  POSTGRESQL
}
