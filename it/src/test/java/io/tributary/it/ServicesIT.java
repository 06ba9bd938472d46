package io.tributary.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * Each server of {@code it/services.sh} is the private instance (its files under {@code
 * target/services}, not a system default port) and is set up as the integration tests need it.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ServicesIT {
  private static final String OURS = "target/services/";

  @Test
  void postgresIsOursWithLogicalDecodingAndAWritableDatabase() throws SQLException {
    assertThat(Services.postgresPort(), not(5432));
    Services.createPostgresDatabase("services_it");
    Services.createPostgresDatabase("services_it"); // idempotent
    try (Connection c =
            DriverManager.getConnection(
                Services.postgresJdbcUrl("services_it"),
                Services.postgresUser(),
                Services.postgresPassword());
        Statement s = c.createStatement()) {
      assertEquals("logical", single(s, "SHOW wal_level"));
      assertEquals(String.valueOf(Services.postgresPort()), single(s, "SELECT inet_server_port()"));
      assertEquals(
          "t", single(s, "SELECT rolreplication FROM pg_roles WHERE rolname = current_user"));
      s.execute("DROP TABLE IF EXISTS probe");
      s.execute("CREATE TABLE probe (id int PRIMARY KEY, name text)");
      s.execute("INSERT INTO probe VALUES (1, 'one'), (2, 'two')");
      assertEquals("one,two", single(s, "SELECT string_agg(name, ',' ORDER BY id) FROM probe"));
    }
  }

  @Test
  void mariadbIsOursWithARowBinlogAndAWritableDatabase() throws SQLException {
    assertThat(Services.mariadbPort(), not(3306));
    Services.createMariadbDatabase("services_it");
    Services.createMariadbDatabase("services_it"); // idempotent
    try (Connection c =
            DriverManager.getConnection(
                Services.mariadbJdbcUrl("services_it"),
                Services.mariadbUser(),
                Services.mariadbPassword());
        Statement s = c.createStatement()) {
      assertEquals("ROW", single(s, "SELECT @@binlog_format"));
      assertEquals("FULL", single(s, "SELECT @@binlog_row_image"));
      assertEquals("1", single(s, "SELECT @@log_bin"));
      assertThat(single(s, "SELECT @@datadir"), endsWith(OURS + "mariadb/data/"));
      s.execute("DROP TABLE IF EXISTS probe");
      s.execute("CREATE TABLE probe (id int PRIMARY KEY, name text)");
      s.execute("INSERT INTO probe VALUES (1, 'one'), (2, 'two')");
      assertEquals("one,two", single(s, "SELECT group_concat(name ORDER BY id) FROM probe"));
    }
  }

  @Test
  void redisIsOursAndStoresValues() {
    assertThat(Services.redisPort(), not(6379));
    try (Jedis jedis = new Jedis(Services.redisHost(), Services.redisPort())) {
      assertThat(jedis.configGet("dir").get(1), endsWith(OURS + "redis"));
      String key = "probe-" + UUID.randomUUID();
      assertEquals("OK", jedis.set(key, "value"));
      assertEquals("value", jedis.get(key));
      jedis.del(key);
    }
  }

  @Test
  void kafkaIsOursAndCarriesRecords() throws Exception {
    try (var admin = Kafka.admin()) {
      List<Node> nodes = List.copyOf(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
      assertEquals(1, nodes.size(), "brokers " + nodes);
      assertEquals(Services.kafkaBootstrap(), nodes.get(0).host() + ":" + nodes.get(0).port());
    }
    assertThat(Services.kafkaBootstrap(), not(endsWith(":9092")));
    String topic = Kafka.uniqueTopic("probe");
    Kafka.createTopics(topic);
    Kafka.produce(topic, List.of("hello".getBytes(UTF_8)));
    List<byte[]> read = Kafka.consume(topic, 1, Duration.ofSeconds(30));
    assertEquals(List.of("hello"), read.stream().map(b -> new String(b, UTF_8)).toList());
  }

  private static String single(Statement s, String query) throws SQLException {
    try (ResultSet r = s.executeQuery(query)) {
      if (!r.next()) {
        throw new AssertionError("no row from " + query);
      }
      String value = r.getString(1);
      if (r.next()) {
        throw new AssertionError("more than one row from " + query);
      }
      return value;
    }
  }
}
