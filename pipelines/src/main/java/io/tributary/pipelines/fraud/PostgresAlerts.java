package io.tributary.pipelines.fraud;

import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.Transaction;
import io.tributary.proto.fraud.WindowStats;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * The PostgreSQL alerts table: one row per flagged transaction id, written idempotently ({@code
 * INSERT ... ON CONFLICT (transaction_id) DO NOTHING}), so a replayed or retried alert never adds
 * a second row. The table is created at start-up if missing.
 */
public final class PostgresAlerts {
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  static final String DRIVER = "org.postgresql.Driver";

  private PostgresAlerts() {}

  /** Whether {@code table} is a plain lower-case SQL identifier (no quoting needed). */
  static boolean isValidTable(String table) {
    return table != null && IDENTIFIER.matcher(table).matches();
  }

  /** The table's definition. */
  static String createTableSql(String table) {
    return "CREATE TABLE IF NOT EXISTS "
        + table
        + " (transaction_id TEXT PRIMARY KEY, card_id TEXT NOT NULL, amount_minor BIGINT NOT NULL,"
        + " currency CHAR(3) NOT NULL, merchant TEXT, merchant_category TEXT, country TEXT,"
        + " event_time TIMESTAMPTZ NOT NULL, window_start TIMESTAMPTZ NOT NULL,"
        + " window_end TIMESTAMPTZ NOT NULL, history_count BIGINT NOT NULL,"
        + " history_sum_minor BIGINT NOT NULL, history_max_minor BIGINT NOT NULL,"
        + " history_mean_minor DOUBLE PRECISION NOT NULL, ratio DOUBLE PRECISION NOT NULL,"
        + " rule TEXT NOT NULL, inserted_at TIMESTAMPTZ NOT NULL DEFAULT now())";
  }

  /**
   * Creates the alerts table if it does not exist; fails with the URL and table on error. The
   * driver is loaded by name first: in a job jar that Flink's client or REST API runs, the driver
   * sits in the job's class loader, where {@link DriverManager} does not look by itself.
   */
  public static void createTable(FraudOptions options) {
    try {
      Class.forName(DRIVER, true, PostgresAlerts.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("the PostgreSQL driver " + DRIVER + " is not on the class path", e);
    }
    try (Connection c =
            DriverManager.getConnection(
                options.getPostgresUrl(), options.getPostgresUser(), options.getPostgresPassword());
        Statement s = c.createStatement()) {
      s.execute(createTableSql(options.getAlertsTable()));
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot create the alerts table '"
              + options.getAlertsTable()
              + "' at --postgresUrl="
              + options.getPostgresUrl()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Writes alerts to the table. */
  public static PTransform<PCollection<FraudAlert>, PDone> write(FraudOptions options) {
    return JdbcIO.<FraudAlert>write()
        .withDataSourceConfiguration(
            JdbcIO.DataSourceConfiguration.create(DRIVER, options.getPostgresUrl())
                .withUsername(options.getPostgresUser())
                .withPassword(options.getPostgresPassword()))
        .withStatement(
            "INSERT INTO "
                + options.getAlertsTable()
                + " (transaction_id, card_id, amount_minor, currency, merchant, merchant_category,"
                + " country, event_time, window_start, window_end, history_count,"
                + " history_sum_minor, history_max_minor, history_mean_minor, ratio, rule)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (transaction_id) DO NOTHING")
        .withPreparedStatementSetter(new AlertRowSetter());
  }

  /** Binds an alert to the insert statement's parameters. */
  static final class AlertRowSetter implements JdbcIO.PreparedStatementSetter<FraudAlert> {
    @Override
    public void setParameters(FraudAlert alert, PreparedStatement s) throws SQLException {
      Transaction t = alert.getTransaction();
      WindowStats w = alert.getPreceding();
      s.setString(1, t.getTransactionId());
      s.setString(2, t.getCardId());
      s.setLong(3, t.getAmountMinor());
      s.setString(4, t.getCurrency());
      s.setString(5, t.getMerchant());
      s.setString(6, t.getMerchantCategory());
      s.setString(7, t.getCountry());
      s.setTimestamp(8, new Timestamp(t.getEventTimeMillis()));
      s.setTimestamp(9, new Timestamp(w.getWindowStartMillis()));
      s.setTimestamp(10, new Timestamp(w.getWindowEndMillis()));
      s.setLong(11, w.getCount());
      s.setLong(12, w.getSumMinor());
      s.setLong(13, w.getMaxMinor());
      s.setDouble(14, w.getMeanMinor());
      s.setDouble(15, alert.getRatio());
      s.setString(16, alert.getRule());
    }
  }
}
