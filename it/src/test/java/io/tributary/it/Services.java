package io.tributary.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The private servers that {@code it/services.sh start} runs for the integration tests
 * (PostgreSQL with {@code wal_level=logical}, MariaDB with a ROW binlog, Redis, a single-node Kafka
 * broker), read from the endpoints file the script writes. Maven's {@code it} module starts them
 * before the integration tests and stops them after; for a test run from an IDE, run {@code
 * it/services.sh start} first.
 *
 * <p>The file is {@code it/target/services/endpoints.properties}, or the path in the system
 * property {@value #ENDPOINTS_PROPERTY}. Both databases have a user and a database {@code
 * tributary}; the PostgreSQL user may log in for replication and create databases, the MariaDB
 * user holds all privileges including those Debezium needs to read the binlog.
 */
public final class Services {
  /** System property naming the endpoints file; Failsafe sets it. */
  public static final String ENDPOINTS_PROPERTY = "tributary.services.endpoints";

  private static final Pattern DATABASE_NAME = Pattern.compile("[a-z][a-z0-9_]{0,62}");
  private static Properties endpoints;

  private Services() {}

  /** {@code host:port} of the Kafka broker. */
  public static String kafkaBootstrap() {
    return get("kafka.bootstrap");
  }

  public static String redisHost() {
    return get("redis.host");
  }

  public static int redisPort() {
    return Integer.parseInt(get("redis.port"));
  }

  public static String postgresHost() {
    return get("postgres.host");
  }

  public static int postgresPort() {
    return Integer.parseInt(get("postgres.port"));
  }

  /** {@code jdbc:postgresql://host:port/database}. */
  public static String postgresJdbcUrl(String database) {
    return "jdbc:postgresql://" + postgresHost() + ":" + postgresPort() + "/" + database;
  }

  /** The test server's default database. */
  public static String postgresDatabase() {
    return get("postgres.database");
  }

  public static String postgresUser() {
    return get("postgres.user");
  }

  public static String postgresPassword() {
    return get("postgres.password");
  }

  public static String mariadbHost() {
    return get("mariadb.host");
  }

  public static int mariadbPort() {
    return Integer.parseInt(get("mariadb.port"));
  }

  /** {@code jdbc:mariadb://host:port/database}. */
  public static String mariadbJdbcUrl(String database) {
    return "jdbc:mariadb://" + mariadbHost() + ":" + mariadbPort() + "/" + database;
  }

  public static String mariadbUser() {
    return get("mariadb.user");
  }

  public static String mariadbPassword() {
    return get("mariadb.password");
  }

  /** {@code host:port} of the Flink session cluster's REST API (JobManager). */
  public static String flinkRest() {
    return get("flink.rest");
  }

  /** The Flink cluster's directory: configuration, logs, pid files, checkpoints, savepoints. */
  public static Path flinkDir() {
    return Path.of(get("flink.dir"));
  }

  /**
   * Creates a PostgreSQL database owned by {@link #postgresUser()} unless it exists. The name is
   * lower-case letters, digits and underscores.
   */
  public static void createPostgresDatabase(String name) throws SQLException {
    checkName(name);
    try (Connection c =
            DriverManager.getConnection(
                postgresJdbcUrl(get("postgres.database")), postgresUser(), postgresPassword());
        Statement s = c.createStatement()) {
      // PostgreSQL has no CREATE DATABASE IF NOT EXISTS; a concurrent creation reports 42P04.
      try {
        s.execute("CREATE DATABASE " + name);
      } catch (SQLException e) {
        if (!"42P04".equals(e.getSQLState())) {
          throw e;
        }
      }
    }
  }

  /**
   * Creates a MariaDB database unless it exists. The name is lower-case letters, digits and
   * underscores.
   */
  public static void createMariadbDatabase(String name) throws SQLException {
    checkName(name);
    try (Connection c =
            DriverManager.getConnection(
                mariadbJdbcUrl(get("mariadb.database")), mariadbUser(), mariadbPassword());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE IF NOT EXISTS " + name);
    }
  }

  /**
   * Restarts the Kafka broker as an operator would ({@code it/services.sh stop kafka}, then {@code
   * start kafka}: a graceful shutdown, then the same port and log directory); returns once it
   * serves again. Fails if the broker came back on another address.
   */
  public static synchronized void restartKafka() throws IOException, InterruptedException {
    String before = kafkaBootstrap();
    for (String command : java.util.List.of("stop", "start")) {
      Path script = FlinkCluster.ROOT.resolve("it/services.sh");
      Process p = new ProcessBuilder(script.toString(), command, "kafka").redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!p.waitFor(3, java.util.concurrent.TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException("it/services.sh " + command + " kafka failed:\n" + output);
      }
    }
    endpoints = null;
    if (!before.equals(kafkaBootstrap())) {
      throw new IllegalStateException("the restarted broker serves at " + kafkaBootstrap() + ", not " + before);
    }
  }

  private static void checkName(String name) {
    if (!DATABASE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "database name '" + name + "' is not lower-case letters, digits and underscores");
    }
  }

  private static String get(String key) {
    String value = endpoints().getProperty(key);
    if (value == null) {
      throw new IllegalStateException(
          "no '" + key + "' in " + endpointsFile() + "; run it/services.sh start again");
    }
    return value;
  }

  private static Path endpointsFile() {
    String path = System.getProperty(ENDPOINTS_PROPERTY, "target/services/endpoints.properties");
    return Path.of(path).toAbsolutePath();
  }

  // Loaded on first use and not cached when absent, so that every test needing a server says why.
  private static synchronized Properties endpoints() {
    if (endpoints == null) {
      Path file = endpointsFile();
      if (!Files.isRegularFile(file)) {
        throw new IllegalStateException(
            "no test servers: " + file + " does not exist; run it/services.sh start");
      }
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("reading " + file, e);
      }
      endpoints = p;
    }
    return endpoints;
  }
}
