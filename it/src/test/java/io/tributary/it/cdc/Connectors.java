package io.tributary.it.cdc;

import io.tributary.it.Services;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Debezium 3.2 connector properties for the test servers of {@link Services}, as a Kafka Connect
 * worker or Debezium's embedded engine takes them.
 *
 * <p>PostgreSQL: logical decoding with {@code pgoutput}, a publication created for the captured
 * tables only, and truncates emitted ({@code skipped.operations=none}; Debezium skips them by
 * default). The slot is kept when the connector stops, so that a restart resumes where it stopped;
 * drop it with {@link #dropPostgresSlot(String)} when a test is done, or PostgreSQL retains WAL for
 * it. MariaDB: the MariaDB connector (the MySQL connector fails against MariaDB 10.11), schema
 * history in a file, truncates emitted too.
 */
public final class Connectors {
  // The database the test servers create for their user; slots are visible from any database.
  private static final String ADMIN_DATABASE = "tributary";

  private Connectors() {}

  /**
   * A PostgreSQL connector capturing {@code tables} ({@code schema.table}) of {@code database}
   * into topics {@code <prefix>.<schema>.<table>}, with slot and publication named after {@code
   * slot}.
   */
  public static Map<String, String> postgres(
      String name, String database, String prefix, String slot, String tables) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("name", name);
    p.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.put("tasks.max", "1");
    p.put("database.hostname", Services.postgresHost());
    p.put("database.port", Integer.toString(Services.postgresPort()));
    p.put("database.user", Services.postgresUser());
    p.put("database.password", Services.postgresPassword());
    p.put("database.dbname", database);
    p.put("topic.prefix", prefix);
    p.put("plugin.name", "pgoutput");
    p.put("slot.name", slot);
    p.put("publication.name", slot + "_publication");
    p.put("publication.autocreate.mode", "filtered");
    p.put("table.include.list", tables);
    p.put("skipped.operations", "none");
    p.put("snapshot.mode", "initial");
    return p;
  }

  /**
   * A MariaDB connector capturing {@code tables} ({@code database.table}) of {@code database} into
   * topics {@code <prefix>.<database>.<table>}; schema changes go to topic {@code <prefix>}.
   */
  public static Map<String, String> mariadb(
      String name, String database, String prefix, int serverId, String tables, Path history) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("name", name);
    p.put("connector.class", "io.debezium.connector.mariadb.MariaDbConnector");
    p.put("tasks.max", "1");
    p.put("database.hostname", Services.mariadbHost());
    p.put("database.port", Integer.toString(Services.mariadbPort()));
    p.put("database.user", Services.mariadbUser());
    p.put("database.password", Services.mariadbPassword());
    p.put("database.server.id", Integer.toString(serverId));
    p.put("database.ssl.mode", "disable");
    p.put("database.include.list", database);
    p.put("table.include.list", tables);
    p.put("topic.prefix", prefix);
    p.put("schema.history.internal", "io.debezium.storage.file.history.FileSchemaHistory");
    p.put("schema.history.internal.file.filename", history.toAbsolutePath().toString());
    // Only the captured tables' DDL, so that other databases on the server leave no trace.
    p.put("schema.history.internal.store.only.captured.databases.ddl", "true");
    p.put("schema.history.internal.store.only.captured.tables.ddl", "true");
    p.put("skipped.operations", "none");
    p.put("snapshot.mode", "initial");
    return p;
  }

  /**
   * Drops a replication slot unless it is gone, waiting up to 30 s for the process that used it
   * to let go (a stopped connector's WAL sender may take a moment to exit).
   */
  public static void dropPostgresSlot(String slot) throws SQLException, InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try (Connection c =
            DriverManager.getConnection(
                Services.postgresJdbcUrl(ADMIN_DATABASE),
                Services.postgresUser(),
                Services.postgresPassword());
        PreparedStatement s =
            c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?");
        PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
      s.setString(1, slot);
      while (true) {
        try (ResultSet r = s.executeQuery()) {
          if (!r.next()) {
            return;
          }
          if (!r.getBoolean(1)) {
            drop.setString(1, slot);
            drop.execute();
            return;
          }
        }
        if (System.nanoTime() > end) {
          throw new IllegalStateException("replication slot " + slot + " still in use after 30 s");
        }
        Thread.sleep(100);
      }
    }
  }

  /** Whether a replication slot exists. */
  public static boolean postgresSlotExists(String slot) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(
                Services.postgresJdbcUrl(ADMIN_DATABASE),
                Services.postgresUser(),
                Services.postgresPassword());
        PreparedStatement s =
            c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
      s.setString(1, slot);
      try (ResultSet r = s.executeQuery()) {
        return r.next();
      }
    }
  }
}
