package io.tributary.transforms.cdc;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.proto.sinks.CacheLayout;
import io.tributary.transforms.values.Values;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CdcRulesTest {
  static final String RULES =
      String.join(
          "\n",
          "routes:",
          "  - name: customers",
          "    tables: ['postgres.public.customers', '*.inventory.customers']",
          "    lake: {dataset: customers}",
          "    cache: {key: 'customer:{id}', layout: hash, ttlSeconds: 600, fields: [first_name, email]}",
          "    features:",
          "      entity: customer",
          "      entityId: '{id}'",
          "      features: [{name: contact, column: email}, last_name]",
          "  - name: everything-in-inventory",
          "    tables: ['inventory.**']",
          "    lake: true",
          "unrouted:",
          "  deadLetter: true",
          "");

  @Test
  void parsesAllDestinations() {
    CdcRules rules = CdcRules.parse(RULES);
    assertThat(rules.deadLetterUnrouted(), is(true));
    CdcRules.Route r = rules.routeFor("postgres.public.customers").get();
    assertThat(r.name(), is("customers"));
    assertThat(r.lake().get().datasetFor("x"), is("customers"));
    assertThat(r.cache().get().layout(), is(CacheLayout.HASH));
    assertThat(r.cache().get().ttlSeconds(), is(600L));
    assertThat(r.cache().get().fields(), contains("first_name", "email"));
    assertThat(r.cache().get().key().placeholders(), contains("id"));
    assertThat(r.features().get().entity(), is("customer"));
    assertThat(List.copyOf(r.features().get().features().keySet()), contains("contact", "last_name"));
    assertThat(r.features().get().features().get("contact"), is("email"));
    // First match wins; '*' stays within a segment, '**' crosses dots.
    assertThat(rules.routeFor("inventory.customers").get().name(), is("everything-in-inventory"));
    assertThat(rules.routeFor("shop.inventory.customers").get().name(), is("customers"));
    assertThat(rules.routeFor("inventory.orders").get().lake().get().datasetFor("inventory.orders"),
        is("inventory_orders"));
    assertThat(rules.routeFor("a.b.inventory.customers").isPresent(), is(false));
    assertThat(rules.routeFor("postgres.public.orders").isPresent(), is(false));
  }

  @Test
  void jsonIsAcceptedToo() {
    CdcRules rules =
        CdcRules.parse(
            "{\"routes\":[{\"name\":\"o\",\"tables\":[\"db.orders\"],\"cache\":{\"key\":\"o:{id}\"}}]}");
    assertThat(rules.routeFor("db.orders").get().cache().get().layout(), is(CacheLayout.STRING_JSON));
    assertThat(rules.deadLetterUnrouted(), is(false));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "malformed | 'routes: [' | rules are not valid YAML or JSON: while parsing a flow node",
        "empty | '' | rules are empty: expected a 'routes' list",
        "not a mapping | '[1]' | rules must be a mapping with 'routes', got ARRAY",
        "unknown top-level field | 'routes: []\nroute: x' | rules: unknown field 'route' (allowed: routes, unrouted)",
        "no routes | 'routes: []' | rules: 'routes' must be a non-empty list",
        "route not a mapping | 'routes: [x]' | route #1: must be a mapping, got STRING",
        "missing name | 'routes: [{tables: [a], lake: true}]' | route #1: missing 'name'",
        "duplicate name | 'routes: [{name: a, tables: [a], lake: true}, {name: a, tables: [b], lake: true}]'"
            + " | route 'a': name is used by an earlier route",
        "no tables | 'routes: [{name: a, lake: true}]' | route 'a': 'tables' must list at least one table pattern",
        "blank table | 'routes: [{name: a, tables: [\"\"], lake: true}]' | route 'a': table pattern \"\" is not a non-empty string",
        "no destination | 'routes: [{name: a, tables: [t]}]' | route 'a': no destination (lake, cache or features)",
        "unknown route field | 'routes: [{name: a, tables: [t], lake: true, redis: {}}]'"
            + " | route 'a': unknown field 'redis' (allowed: name, tables, lake, cache, features)",
        "bad dataset | 'routes: [{name: a, tables: [t], lake: {dataset: \"x/y\"}}]'"
            + " | route 'a': lake: dataset 'x/y' may hold only letters, digits, '_' and '-'",
        "cache without key | 'routes: [{name: a, tables: [t], cache: {layout: hash}}]' | route 'a': cache: missing 'key' template",
        "unclosed placeholder | 'routes: [{name: a, tables: [t], cache: {key: \"o:{id\"}}]'"
            + " | route 'a': cache: key: template 'o:{id' has an unclosed '{'",
        "unmatched brace | 'routes: [{name: a, tables: [t], cache: {key: \"o:id}\"}}]'"
            + " | route 'a': cache: key: template 'o:id}' has an unmatched '}'",
        "empty placeholder | 'routes: [{name: a, tables: [t], cache: {key: \"o:{}\"}}]'"
            + " | route 'a': cache: key: template 'o:{}' has an empty or nested placeholder",
        "constant key | 'routes: [{name: a, tables: [t], cache: {key: \"o\"}}]'"
            + " | route 'a': cache: key: template 'o' has no {column} placeholder, so every row would share it",
        "bad layout | 'routes: [{name: a, tables: [t], cache: {key: \"o:{id}\", layout: list}}]'"
            + " | route 'a': cache: layout must be string-json or hash, got 'list'",
        "negative ttl | 'routes: [{name: a, tables: [t], cache: {key: \"o:{id}\", ttlSeconds: -5}}]'"
            + " | route 'a': cache: ttlSeconds must be a whole number >= 0, got -5",
        "bad fields | 'routes: [{name: a, tables: [t], cache: {key: \"o:{id}\", fields: []}}]'"
            + " | route 'a': cache: fields: must be a non-empty list of column names",
        "features without entity | 'routes: [{name: a, tables: [t], features: {entityId: \"{id}\", features: [x]}}]'"
            + " | route 'a': features: missing 'entity'",
        "features without entityId | 'routes: [{name: a, tables: [t], features: {entity: u, features: [x]}}]'"
            + " | route 'a': features: missing 'entityId' template",
        "no features | 'routes: [{name: a, tables: [t], features: {entity: u, entityId: \"{id}\"}}]'"
            + " | route 'a': features: 'features' must list at least one feature",
        "feature without column | 'routes: [{name: a, tables: [t], features: {entity: u, entityId: \"{id}\", features: [{name: f}]}}]'"
            + " | route 'a': features: feature 'f' has no 'column'",
        "duplicate feature | 'routes: [{name: a, tables: [t], features: {entity: u, entityId: \"{id}\", features: [x, x]}}]'"
            + " | route 'a': features: feature 'x' is listed twice",
        "bad deadLetter | 'routes: [{name: a, tables: [t], lake: true}]\nunrouted: {deadLetter: maybe}'"
            + " | unrouted: 'deadLetter' must be true or false, got \"maybe\"",
      })
  void invalidRulesFailWithAMessageNamingTheRule(String kind, String text, String message) {
    CdcRules.InvalidRulesException e =
        assertThrows(CdcRules.InvalidRulesException.class, () -> CdcRules.parse(text.replace("\\n", "\n")));
    if (kind.equals("malformed")) {
      assertThat(e.getMessage(), org.hamcrest.Matchers.startsWith(message));
    } else {
      assertThat(e.getMessage(), is(message));
    }
  }

  @Test
  void aMissingFileIsNamed() {
    CdcRules.InvalidRulesException e =
        assertThrows(
            CdcRules.InvalidRulesException.class,
            () -> CdcRules.fromFile(java.nio.file.Path.of("/nonexistent/rules.yaml")));
    assertThat(e.getMessage(), is("cannot read rules file /nonexistent/rules.yaml: /nonexistent/rules.yaml"));
  }

  @Test
  void templatesFillFromKeyThenRowAndNameAMissingColumn() {
    CdcRules.Template t =
        CdcRules.parse("routes: [{name: a, tables: [t], cache: {key: '{_table}:{id}:{email}'}}]")
            .routes().get(0).cache().get().key();
    assertThat(
        t.fill("db.t", List.of(List.of(Values.column("id", Values.of(7))),
            List.of(Values.column("id", Values.of(8)), Values.column("email", Values.of("a@b"))))),
        is("db.t:7:a@b"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> t.fill("db.t", List.of(List.of(Values.column("id", Values.of(7)),
                Values.column("email", Values.ofNull())))));
    assertThat(e.getMessage(), is("template '{_table}:{id}:{email}': column 'email' is absent or null"));
  }
}
