package io.tributary.transforms.cdc;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;

import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.Connector;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.ColumnSchema;
import io.tributary.proto.values.Row;
import io.tributary.proto.values.Timestamp;
import io.tributary.proto.values.Value;
import io.tributary.transforms.values.Values;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DebeziumJsonTest {

  static ChangeEvent parse(String fixture) throws Exception {
    return DebeziumJson.parse(Fixtures.record(fixture));
  }

  static String text(Row row) {
    return row.getColumnsList().stream()
        .map(c -> c.getName() + "=" + c.getValue().getKindCase() + ":" + Values.toText(c.getValue()))
        .collect(Collectors.joining(", "));
  }

  @Test
  void postgresCreateWithSchemas() throws Exception {
    ChangeEvent e = parse("doc/postgresql/customers-create.schemas.json");
    assertThat(e.getOp(), is(ChangeEvent.Op.CREATE));
    assertThat(e.getTableId(), is("postgres.public.customers"));
    assertThat(e.getTopic(), is("PostgreSQL_server.public.customers"));
    assertThat(e.getOffset(), is(1L));
    assertThat(e.getSource().getConnector(), is(Connector.POSTGRESQL));
    assertThat(e.getSource().getName(), is("PostgreSQL_server"));
    assertThat(e.getSource().getDatabase(), is("postgres"));
    assertThat(e.getSource().getSchema(), is("public"));
    assertThat(e.getSource().getTable(), is("customers"));
    assertThat(e.getSource().getTsMs(), is(1559033904863L));
    assertThat(e.getSource().getSnapshot(), is(false));
    assertThat(e.getSource().getVersion(), is("3.2.0.Final"));
    assertThat(e.getSource().getPosition().getPostgres().getLsn(), is(24023128L));
    assertThat(e.getSource().getPosition().getPostgres().getCommitLsn(), is(24023119L));
    assertThat(e.getSource().getPosition().getPostgres().getTxId(), is(555L));
    assertThat(
        e.getSource().getPosition().getOrderKey(), is("pg:00000000016e904f:00000000016e9058"));
    assertThat(e.getTsMs(), is(1559033904863L));
    assertThat(e.getPrimaryKeyList(), contains(Values.column("id", Values.of(1))));
    assertThat(e.hasBefore(), is(false));
    assertThat(
        text(e.getAfter()),
        is("id=INT_VALUE:1, first_name=STRING_VALUE:Anne, last_name=STRING_VALUE:Kretchmar,"
            + " email=STRING_VALUE:annek@noanswer.org"));
    assertThat(
        e.getColumnsList().stream().map(c -> c.getName() + ":" + c.getType() + ":" + c.getOptional())
            .collect(Collectors.toList()),
        contains("id:int32:false", "first_name:string:false", "last_name:string:false",
            "email:string:false"));
    assertThat(e.getSchemaVersion().length(), is(16));
  }

  @ParameterizedTest
  @CsvSource({
    "postgresql,create", "postgresql,update", "postgresql,delete", "postgresql,read",
    "postgresql,truncate",
    "mariadb,create", "mariadb,update", "mariadb,delete", "mariadb,read",
    "mysql,create", "mysql,update", "mysql,delete", "mysql,read"
  })
  void schemasOnAndOffAgreeOnEverythingButTypes(String connector, String op) throws Exception {
    ChangeEvent on = parse("doc/" + connector + "/customers-" + op + ".schemas.json");
    ChangeEvent off = parse("doc/" + connector + "/customers-" + op + ".noschemas.json");
    ChangeEvent.Builder withoutTypes = on.toBuilder().clearColumns().clearSchemaVersion();
    for (ColumnSchema c : on.getColumnsList()) {
      withoutTypes.addColumns(ColumnSchema.newBuilder().setName(c.getName()).setOptional(true));
    }
    assertThat(
        off.toBuilder().clearSchemaVersion().build(), equalTo(withoutTypes.build()));
    if (on.getColumnsCount() > 0) {
      assertThat(off.getSchemaVersion(), not(equalTo(on.getSchemaVersion())));
    } else {
      assertThat(on.getOp(), is(ChangeEvent.Op.TRUNCATE));
    }
  }

  @Test
  void postgresUpdateDeleteReadAndTruncate() throws Exception {
    ChangeEvent update = parse("doc/postgresql/customers-update.schemas.json");
    assertThat(update.getOp(), is(ChangeEvent.Op.UPDATE));
    assertThat(Values.find(update.getBefore().getColumnsList(), "first_name").get(), is(Values.of("Anne")));
    assertThat(
        Values.find(update.getAfter().getColumnsList(), "first_name").get(),
        is(Values.of("Anne Marie")));

    ChangeEvent delete = parse("doc/postgresql/customers-delete.schemas.json");
    assertThat(delete.getOp(), is(ChangeEvent.Op.DELETE));
    assertThat(delete.hasAfter(), is(false));
    assertThat(delete.getBefore().getColumnsCount(), is(4));
    assertThat(delete.getPrimaryKeyList(), contains(Values.column("id", Values.of(1))));

    ChangeEvent read = parse("doc/postgresql/customers-read.schemas.json");
    assertThat(read.getOp(), is(ChangeEvent.Op.READ));
    assertThat(read.getSource().getSnapshot(), is(true));
    assertThat(read.getSource().getSnapshotMarker(), is("true"));
    assertThat(read.getSource().getPosition().getPostgres().getCommitLsn(), is(0L));

    ChangeEvent truncate = parse("doc/postgresql/customers-truncate.schemas.json");
    assertThat(truncate.getOp(), is(ChangeEvent.Op.TRUNCATE));
    assertThat(truncate.getPrimaryKeyCount(), is(0));
    assertThat(truncate.hasBefore() || truncate.hasAfter(), is(false));
    assertThat(truncate.getTableId(), is("postgres.public.customers"));

    // Log order: snapshot read < create < update < delete < truncate.
    List<String> keys =
        List.of(read, parse("doc/postgresql/customers-create.schemas.json"), update, delete, truncate)
            .stream().map(e -> e.getSource().getPosition().getOrderKey()).collect(Collectors.toList());
    for (int i = 1; i < keys.size(); i++) {
      assertThat(keys.get(i - 1) + " < " + keys.get(i), keys.get(i - 1).compareTo(keys.get(i)), lessThan(0));
    }
  }

  @ParameterizedTest
  @CsvSource({"postgresql", "mariadb", "mysql"})
  void tombstonesCarryTheKeyAndTheTopicsTable(String connector) throws Exception {
    for (String mode : List.of("schemas", "noschemas")) {
      ChangeEvent t = parse("doc/" + connector + "/customers-tombstone." + mode + ".json");
      assertThat(t.getTombstone(), is(true));
      assertThat(t.getOp(), is(ChangeEvent.Op.DELETE));
      assertThat(t.hasSource(), is(false));
      assertThat(t.getPrimaryKeyCount(), is(1));
      assertThat(t.getTableId(), is(connector.equals("postgresql") ? "public.customers" : "inventory.customers"));
    }
  }

  @Test
  void binlogSourceBlocks() throws Exception {
    ChangeEvent maria = parse("doc/mariadb/customers-update.schemas.json");
    assertThat(maria.getSource().getConnector(), is(Connector.MARIADB));
    assertThat(maria.getTableId(), is("inventory.customers"));
    assertThat(maria.getSource().getSchema(), is(""));
    assertThat(maria.getSource().getPosition().getBinlog().getFile(), is("mysql-bin.000003"));
    assertThat(maria.getSource().getPosition().getBinlog().getPos(), is(484L));
    assertThat(maria.getSource().getPosition().getBinlog().getRow(), is(0));
    assertThat(maria.getSource().getPosition().getBinlog().getGtid(), is("0-1-3"));
    assertThat(maria.getSource().getPosition().getBinlog().getServerId(), is(223344L));
    assertThat(
        maria.getSource().getPosition().getOrderKey(),
        is("bl:mysql-bin.0000000003:00000000000000000484:0000000000"));

    ChangeEvent mysql = parse("doc/mysql/customers-create.schemas.json");
    assertThat(mysql.getSource().getConnector(), is(Connector.MYSQL));
    assertThat(
        mysql.getSource().getPosition().getBinlog().getGtid(),
        is("c8b2c9d4-1d2f-11ee-be56-0242ac120002:23"));
    ChangeEvent orders = parse("doc/mariadb/orders-types.schemas.json");
    assertThat(orders.getSource().getPosition().getBinlog().getRow(), is(1));
    // A later file orders after any position of an earlier one.
    assertThat(
        orders.getSource().getPosition().getOrderKey()
            .compareTo(parse("doc/mariadb/customers-delete.schemas.json").getSource().getPosition().getOrderKey()),
        greaterThan(0));
  }

  @Test
  void postgresLogicalTypesWithSchemas() throws Exception {
    ChangeEvent e = parse("doc/postgresql/products-types.schemas.json");
    assertThat(e.getTableId(), is("postgres.inventory.products"));
    assertThat(
        text(e.getAfter()),
        is("id=INT_VALUE:42, price=DECIMAL_VALUE:12.50, ratio=DECIMAL_VALUE:-31.416,"
            + " released=DATE_DAYS:2024-03-01, opens_at=TIME_MICROS:09:30:00.000250,"
            + " updated_at=TIMESTAMP_VALUE:2024-03-01T10:15:30.000250,"
            + " created_at=TIMESTAMP_VALUE:2024-03-01T09:15:30.000250Z,"
            + " attrs=JSON_VALUE:{\"color\": \"red\", \"sizes\": [1, 2]},"
            + " sku=UUID_VALUE:6f1ca1ce-4f6d-4a3e-9f0b-9e5a4c0c2d11, thumbnail=BYTES_VALUE:AAH+,"
            + " weight=DOUBLE_VALUE:1.5, active=BOOL_VALUE:true, note=NULL_VALUE:"));
    Value updated = Values.find(e.getAfter().getColumnsList(), "updated_at").get();
    assertThat(updated.getTimestampValue().getZone(), is(Timestamp.Zone.LOCAL));
    Value created = Values.find(e.getAfter().getColumnsList(), "created_at").get();
    assertThat(created.getTimestampValue().getZone(), is(Timestamp.Zone.UTC));
    assertThat(
        e.getColumnsList().get(1).getLogical(), is("org.apache.kafka.connect.data.Decimal"));
  }

  @Test
  void withoutSchemasValuesStayAsTheJsonCarriedThem() throws Exception {
    ChangeEvent e = parse("doc/postgresql/products-types.noschemas.json");
    assertThat(
        text(e.getAfter()),
        is("id=INT_VALUE:42, price=STRING_VALUE:BOI=,"
            + " ratio=JSON_VALUE:{\"scale\":3,\"value\":\"hUg=\"}, released=INT_VALUE:19783,"
            + " opens_at=INT_VALUE:34200000250, updated_at=INT_VALUE:1709288130000250,"
            + " created_at=STRING_VALUE:2024-03-01T10:15:30.000250+01:00,"
            + " attrs=STRING_VALUE:{\"color\": \"red\", \"sizes\": [1, 2]},"
            + " sku=STRING_VALUE:6f1ca1ce-4f6d-4a3e-9f0b-9e5a4c0c2d11,"
            + " thumbnail=STRING_VALUE:AAH+, weight=DOUBLE_VALUE:1.5, active=BOOL_VALUE:true,"
            + " note=NULL_VALUE:"));
    assertThat(e.getColumnsList().get(1).getType(), is(""));
  }

  @Test
  void mariadbLogicalTypesWithSchemas() throws Exception {
    ChangeEvent e = parse("doc/mariadb/orders-types.schemas.json");
    assertThat(
        text(e.getAfter()),
        is("order_number=INT_VALUE:10001, total=DECIMAL_VALUE:-19.99,"
            + " order_date=DATE_DAYS:2016-01-16, shipped_at=TIMESTAMP_VALUE:2016-01-16T10:50,"
            + " packed_at=TIMESTAMP_VALUE:2016-01-16T10:50:00.123456,"
            + " updated_at=TIMESTAMP_VALUE:2016-01-16T10:50:00Z, slot=TIME_MICROS:10:30,"
            + " details=JSON_VALUE:{\"gift\":true}, quantity=INT_VALUE:1, flags=NULL_VALUE:"));
    assertThat(e.getPrimaryKeyList(), contains(Values.column("order_number", Values.of(10001))));
  }

  @Test
  void nanosecondTimesKeepTheirSubMicroDigits() throws Exception {
    String value =
        "{\"schema\":{\"type\":\"struct\",\"fields\":["
            + "{\"type\":\"struct\",\"optional\":true,\"field\":\"after\",\"fields\":["
            + "{\"type\":\"int64\",\"optional\":true,\"name\":\"io.debezium.time.NanoTime\",\"field\":\"t\"},"
            + "{\"type\":\"int64\",\"optional\":true,\"name\":\"io.debezium.time.NanoTimestamp\",\"field\":\"ts\"},"
            + "{\"type\":\"int64\",\"optional\":true,\"name\":\"io.debezium.time.Timestamp\",\"field\":\"ms\"},"
            + "{\"type\":\"int32\",\"optional\":true,\"name\":\"io.debezium.time.Time\",\"field\":\"tm\"},"
            + "{\"type\":\"float32\",\"optional\":true,\"field\":\"f\"}]}]},"
            + "\"payload\":{\"after\":{\"t\":3723000004567,\"ts\":1700000000123456789,\"ms\":1700000000123,"
            + "\"tm\":3723004,\"f\":\"NaN\"},"
            + "\"source\":{\"connector\":\"mysql\",\"db\":\"d\",\"table\":\"t\",\"ts_ms\":5,"
            + "\"file\":\"bin.000001\",\"pos\":4},\"op\":\"c\",\"ts_ms\":6}}";
    ChangeEvent e = DebeziumJson.parse(Fixtures.record("s.d.t", 0, null, value));
    assertThat(
        text(e.getAfter()),
        is("t=TIME_MICROS:01:02:03.000004, ts=TIMESTAMP_VALUE:2023-11-14T22:13:20.123456789,"
            + " ms=TIMESTAMP_VALUE:2023-11-14T22:13:20.123, tm=TIME_MICROS:01:02:03.004,"
            + " f=DOUBLE_VALUE:NaN"));
    assertThat(
        Values.find(e.getAfter().getColumnsList(), "ts").get().getTimestampValue().getNanosOfMicro(),
        is(789));
  }

  @Test
  void anAddedColumnChangesTheSchemaVersion() throws Exception {
    ChangeEvent before = parse("doc/postgresql/customers-create.schemas.json");
    String value =
        new String(Fixtures.record("doc/postgresql/customers-create.schemas.json").getValue().toByteArray(),
                java.nio.charset.StandardCharsets.UTF_8)
            .replace("{\"type\":\"string\",\"optional\":false,\"field\":\"email\"}",
                "{\"type\":\"string\",\"optional\":false,\"field\":\"email\"},"
                    + "{\"type\":\"string\",\"optional\":true,\"field\":\"phone\"}")
            .replace("\"email\":\"annek@noanswer.org\"", "\"email\":\"annek@noanswer.org\",\"phone\":\"+1 555\"");
    ChangeEvent after = DebeziumJson.parse(Fixtures.record("PostgreSQL_server.public.customers", 9, null, value));
    assertThat(after.getColumnsCount(), is(5));
    assertThat(after.getAfter().getColumns(4), is(Values.column("phone", Values.of("+1 555"))));
    assertThat(after.getSchemaVersion(), not(equalTo(before.getSchemaVersion())));
    List<Column> sameFirst = after.getAfter().getColumnsList().subList(0, 4);
    assertThat(sameFirst, equalTo(before.getAfter().getColumnsList()));
  }

  @Test
  void aBeforeImageMayHoldOnlyTheReplicaIdentityColumns() throws Exception {
    String value =
        new String(Fixtures.record("doc/postgresql/customers-delete.schemas.json").getValue().toByteArray(),
                java.nio.charset.StandardCharsets.UTF_8)
            .replace("\"before\":{\"id\":1,\"first_name\":\"Anne Marie\",\"last_name\":\"Kretchmar\","
                + "\"email\":\"annek@noanswer.org\"}", "\"before\":{\"id\":1}");
    ChangeEvent e = DebeziumJson.parse(Fixtures.record("PostgreSQL_server.public.customers", 3, null, value));
    assertThat(
        text(e.getBefore()),
        is("id=INT_VALUE:1, first_name=NULL_VALUE:, last_name=NULL_VALUE:, email=NULL_VALUE:"));
  }

  @Test
  void aColumnValueWithAnUnpairedSurrogateIsRejectedNamingTheField() {
    String value =
        new String(Fixtures.record("doc/postgresql/customers-create.schemas.json").getValue().toByteArray(),
                java.nio.charset.StandardCharsets.UTF_8)
            .replace("\"email\":\"annek@noanswer.org\"", "\"email\":\"annek\\ud800@noanswer.org\"");
    DebeziumJson.InvalidChangeException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            DebeziumJson.InvalidChangeException.class,
            () -> DebeziumJson.parse(Fixtures.record("PostgreSQL_server.public.customers", 4, null, value)));
    assertThat(e.getMessage(), is("after.columns[3].value.string_value holds an unpaired surrogate \\ud800 at character 5"));
  }

  /** Text with a surrogate in any written form is checked; other text skips the check. */
  @Test
  void onlyTextThatCanDecodeToASurrogateIsChecked() {
    java.util.function.Function<String, byte[]> utf8 = t -> t.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    org.junit.jupiter.api.Assertions.assertAll(
        () -> assertThat(DebeziumJson.mayHoldSurrogates(utf8.apply("{\"a\":\"x\\ud800\"}")), is(true)),
        () -> assertThat(DebeziumJson.mayHoldSurrogates(utf8.apply("{\"a\":\"\\uDFFF\"}")), is(true)),
        () -> assertThat(DebeziumJson.mayHoldSurrogates(utf8.apply("{\"a\":\"\\uDbFF\"}")), is(true)),
        () -> assertThat(DebeziumJson.mayHoldSurrogates(new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}), is(true)),
        () -> assertThat(DebeziumJson.mayHoldSurrogates(utf8.apply("{\"a\":\"\\ud7ff \\u00e9 \\ue000\"}")), is(false)),
        () -> assertThat(DebeziumJson.mayHoldSurrogates(new byte[] {'"', (byte) 0xED, (byte) 0x9F, (byte) 0xBF, '"'}), is(false)),
        () -> assertThat(DebeziumJson.mayHoldSurrogates(utf8.apply("{\"a\":\"plain \\\" text\"}")), is(false)),
        () -> assertThat(DebeziumJson.mayHoldSurrogates(utf8.apply("x\\ud")), is(false)));
  }

  @Test
  void aSurrogatePairIsKeptAndAnUnpairedOneInAnyFormIsRejected() throws Exception {
    byte[] record = Fixtures.record("doc/postgresql/customers-create.schemas.json").getValue().toByteArray();
    String value = new String(record, java.nio.charset.StandardCharsets.UTF_8);
    ChangeEvent paired =
        DebeziumJson.parse(Fixtures.record("PostgreSQL_server.public.customers", 5, null,
            value.replace("\"email\":\"annek@noanswer.org\"", "\"email\":\"annek\\uD83D\\uDE00@noanswer.org\"")));
    assertThat(paired.getAfter().getColumns(3).getValue().getStringValue(), is("annek\uD83D\uDE00@noanswer.org"));

    DebeziumJson.InvalidChangeException upper =
        org.junit.jupiter.api.Assertions.assertThrows(
            DebeziumJson.InvalidChangeException.class,
            () -> DebeziumJson.parse(Fixtures.record("PostgreSQL_server.public.customers", 6, null,
                value.replace("\"email\":\"annek@noanswer.org\"", "\"email\":\"annek\\uDE00@noanswer.org\""))));
    assertThat(upper.getMessage(), is("after.columns[3].value.string_value holds an unpaired surrogate \\ude00 at character 5"));

    // The same surrogate written as raw bytes (0xED 0xB8 0x80), which is not UTF-8.
    String marker = "\"email\":\"annek@";
    int at = value.indexOf(marker) + marker.length() - 1;
    byte[] prefix = value.substring(0, at).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] suffix = value.substring(at).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] raw = new byte[prefix.length + 3 + suffix.length];
    System.arraycopy(prefix, 0, raw, 0, prefix.length);
    raw[prefix.length] = (byte) 0xED;
    raw[prefix.length + 1] = (byte) 0xB8;
    raw[prefix.length + 2] = (byte) 0x80;
    System.arraycopy(suffix, 0, raw, prefix.length + 3, suffix.length);
    io.tributary.proto.cdc.ConnectRecord rawRecord =
        Fixtures.record("PostgreSQL_server.public.customers", 7, null, value).toBuilder()
            .setValue(com.google.protobuf.ByteString.copyFrom(raw))
            .build();
    DebeziumJson.InvalidChangeException rawError =
        org.junit.jupiter.api.Assertions.assertThrows(DebeziumJson.InvalidChangeException.class, () -> DebeziumJson.parse(rawRecord));
    assertThat(rawError.getMessage(), is("after.columns[3].value.string_value holds an unpaired surrogate \\ude00 at character 5"));
  }
}
