package io.tributary.transforms.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tributary.proto.sinks.CacheLayout;
import io.tributary.proto.values.Column;
import io.tributary.transforms.values.Values;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Routing rules: which tables go to which destinations, read from a YAML or JSON file and checked
 * completely at start-up ({@link #parse} throws {@link InvalidRulesException} naming the route and
 * the problem).
 *
 * <pre>{@code
 * routes:
 *   - name: orders                      # required, unique
 *     tables: ["shop.public.orders*"]   # table-id globs: * within a dot-segment, ** across dots, ? one char
 *     lake:                             # optional: append every change to the lake
 *       dataset: orders                 #   default: the table id with '.' replaced by '_'
 *     cache:                            # optional: keep the current rows in the cache
 *       key: "order:{id}"               #   required template; {column} from the key or row, {_table}
 *       layout: hash                    #   string-json (default) or hash
 *       ttlSeconds: 3600                #   >= 0, default 0 = no expiry
 *       fields: [id, status, total]     #   default: every column
 *     features:                         # optional: feature rows for the feature store
 *       entity: customer                #   required entity type
 *       entityId: "{customer_id}"       #   required template
 *       features:                       #   required, at least one
 *         - {name: last_order_total, column: total}
 * unrouted:
 *   deadLetter: true                    # tables no route matches: counted, and dead-lettered if true
 * }</pre>
 *
 * <p>A change goes to the first route (in file order) with a pattern matching its table id ({@code
 * database.schema.table} for PostgreSQL, {@code database.table} for MySQL / MariaDB, the stream
 * name for logs and sensor aggregates). Unknown fields are errors, so a typo cannot silently
 * disable a destination. Instances are immutable and serializable.
 */
public final class CdcRules implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final List<Route> routes;
  private final boolean deadLetterUnrouted;

  private CdcRules(List<Route> routes, boolean deadLetterUnrouted) {
    this.routes = Collections.unmodifiableList(routes);
    this.deadLetterUnrouted = deadLetterUnrouted;
  }

  /** Why a rules file cannot be used; the message names the route and the problem. */
  public static final class InvalidRulesException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InvalidRulesException(String message) {
      super(message);
    }
  }

  /** Reads rules from a YAML or JSON file. */
  public static CdcRules fromFile(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new InvalidRulesException("cannot read rules file " + file + ": " + e.getMessage());
    }
  }

  /** Parses rules from YAML or JSON text (JSON is YAML). */
  public static CdcRules parse(String text) {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (IOException e) {
      String detail = e.getMessage() == null ? e.toString() : e.getMessage().split("\n", 2)[0];
      throw new InvalidRulesException("rules are not valid YAML or JSON: " + detail);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new InvalidRulesException("rules are empty: expected a 'routes' list");
    }
    if (!root.isObject()) {
      throw new InvalidRulesException("rules must be a mapping with 'routes', got " + root.getNodeType());
    }
    allowOnly(root, "rules", "routes", "unrouted");
    JsonNode list = root.get("routes");
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw new InvalidRulesException("rules: 'routes' must be a non-empty list");
    }
    List<Route> routes = new ArrayList<>();
    Set<String> names = new HashSet<>();
    int index = 0;
    for (JsonNode node : list) {
      index++;
      Route route = Route.parse(node, index);
      if (!names.add(route.name)) {
        throw new InvalidRulesException("route '" + route.name + "': name is used by an earlier route");
      }
      routes.add(route);
    }
    boolean deadLetter = false;
    JsonNode unrouted = root.get("unrouted");
    if (unrouted != null && !unrouted.isNull()) {
      if (!unrouted.isObject()) {
        throw new InvalidRulesException("rules: 'unrouted' must be a mapping");
      }
      allowOnly(unrouted, "unrouted", "deadLetter");
      JsonNode dl = unrouted.get("deadLetter");
      if (dl != null && !dl.isBoolean()) {
        throw new InvalidRulesException("unrouted: 'deadLetter' must be true or false, got " + dl);
      }
      deadLetter = dl != null && dl.asBoolean();
    }
    return new CdcRules(routes, deadLetter);
  }

  public List<Route> routes() {
    return routes;
  }

  /** Whether changes of tables that no route matches go to the failure output. */
  public boolean deadLetterUnrouted() {
    return deadLetterUnrouted;
  }

  /** The first route matching a table id. */
  public Optional<Route> routeFor(String tableId) {
    for (Route r : routes) {
      if (r.matches(tableId)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "CdcRules" + routes + (deadLetterUnrouted ? " deadLetterUnrouted" : "");
  }

  // ---------------------------------------------------------------------------------------------

  /** One route: table patterns and the destinations of their changes. */
  public static final class Route implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String name;
    private final List<String> tables;
    private final List<Pattern> patterns;
    private final Lake lake; // nullable
    private final Cache cache; // nullable
    private final Features features; // nullable

    private Route(String name, List<String> tables, Lake lake, Cache cache, Features features) {
      this.name = name;
      this.tables = tables;
      this.patterns = new ArrayList<>();
      for (String t : tables) {
        patterns.add(glob(t));
      }
      this.lake = lake;
      this.cache = cache;
      this.features = features;
    }

    static Route parse(JsonNode node, int index) {
      if (!node.isObject()) {
        throw new InvalidRulesException("route #" + index + ": must be a mapping, got " + node.getNodeType());
      }
      JsonNode nameNode = node.get("name");
      if (nameNode == null || !nameNode.isTextual() || nameNode.asText().isBlank()) {
        throw new InvalidRulesException("route #" + index + ": missing 'name'");
      }
      String name = nameNode.asText();
      String where = "route '" + name + "'";
      allowOnly(node, where, "name", "tables", "lake", "cache", "features");
      JsonNode tablesNode = node.get("tables");
      if (tablesNode == null || !tablesNode.isArray() || tablesNode.isEmpty()) {
        throw new InvalidRulesException(where + ": 'tables' must list at least one table pattern");
      }
      List<String> tables = new ArrayList<>();
      for (JsonNode t : tablesNode) {
        if (!t.isTextual() || t.asText().isBlank()) {
          throw new InvalidRulesException(where + ": table pattern " + t + " is not a non-empty string");
        }
        tables.add(t.asText());
      }
      Lake lake = node.has("lake") ? Lake.parse(node.get("lake"), where + ": lake") : null;
      Cache cache = node.has("cache") ? Cache.parse(node.get("cache"), where + ": cache") : null;
      Features features =
          node.has("features") ? Features.parse(node.get("features"), where + ": features") : null;
      if (lake == null && cache == null && features == null) {
        throw new InvalidRulesException(where + ": no destination (lake, cache or features)");
      }
      return new Route(name, Collections.unmodifiableList(tables), lake, cache, features);
    }

    public String name() {
      return name;
    }

    public List<String> tables() {
      return tables;
    }

    public Optional<Lake> lake() {
      return Optional.ofNullable(lake);
    }

    public Optional<Cache> cache() {
      return Optional.ofNullable(cache);
    }

    public Optional<Features> features() {
      return Optional.ofNullable(features);
    }

    boolean matches(String tableId) {
      for (Pattern p : patterns) {
        if (p.matcher(tableId).matches()) {
          return true;
        }
      }
      return false;
    }

    @Override
    public String toString() {
      return name + tables;
    }
  }

  /** The lake destination: one dataset per table unless named. */
  public static final class Lake implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String dataset; // empty: derived from the table id

    private Lake(String dataset) {
      this.dataset = dataset;
    }

    static Lake parse(JsonNode node, String where) {
      if (node.isNull() || (node.isBoolean() && node.asBoolean())) {
        return new Lake("");
      }
      if (!node.isObject()) {
        throw new InvalidRulesException(where + ": must be a mapping or true");
      }
      allowOnly(node, where, "dataset");
      String dataset = node.path("dataset").asText("");
      if (!dataset.isEmpty() && !dataset.matches("[A-Za-z0-9_][A-Za-z0-9_-]*")) {
        throw new InvalidRulesException(
            where + ": dataset '" + dataset + "' may hold only letters, digits, '_' and '-'");
      }
      return new Lake(dataset);
    }

    /** The dataset of a table: the configured name, or the table id with '.' as '_'. */
    public String datasetFor(String tableId) {
      return dataset.isEmpty() ? tableId.replaceAll("[^A-Za-z0-9_-]", "_") : dataset;
    }
  }

  /** The cache destination. */
  public static final class Cache implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Template key;
    private final CacheLayout layout;
    private final long ttlSeconds;
    private final List<String> fields; // empty: all

    private Cache(Template key, CacheLayout layout, long ttlSeconds, List<String> fields) {
      this.key = key;
      this.layout = layout;
      this.ttlSeconds = ttlSeconds;
      this.fields = fields;
    }

    static Cache parse(JsonNode node, String where) {
      if (!node.isObject()) {
        throw new InvalidRulesException(where + ": must be a mapping");
      }
      allowOnly(node, where, "key", "layout", "ttlSeconds", "fields");
      JsonNode key = node.get("key");
      if (key == null || !key.isTextual() || key.asText().isBlank()) {
        throw new InvalidRulesException(where + ": missing 'key' template");
      }
      Template template = Template.parse(key.asText(), where + ": key");
      CacheLayout layout = CacheLayout.STRING_JSON;
      JsonNode layoutNode = node.get("layout");
      if (layoutNode != null) {
        switch (layoutNode.asText()) {
          case "string-json":
            break;
          case "hash":
            layout = CacheLayout.HASH;
            break;
          default:
            throw new InvalidRulesException(
                where + ": layout must be string-json or hash, got '" + layoutNode.asText() + "'");
        }
      }
      long ttl = 0;
      JsonNode ttlNode = node.get("ttlSeconds");
      if (ttlNode != null) {
        if (!ttlNode.canConvertToLong() || !ttlNode.isIntegralNumber() || ttlNode.asLong() < 0) {
          throw new InvalidRulesException(
              where + ": ttlSeconds must be a whole number >= 0, got " + ttlNode);
        }
        ttl = ttlNode.asLong();
      }
      return new Cache(template, layout, ttl, names(node.get("fields"), where + ": fields"));
    }

    public Template key() {
      return key;
    }

    public CacheLayout layout() {
      return layout;
    }

    public long ttlSeconds() {
      return ttlSeconds;
    }

    /** The columns to cache; empty means every column. */
    public List<String> fields() {
      return fields;
    }
  }

  /** The feature-store destination: an entity and named features taken from columns. */
  public static final class Features implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String entity;
    private final Template entityId;
    private final Map<String, String> features; // feature name -> column, in rule order

    private Features(String entity, Template entityId, Map<String, String> features) {
      this.entity = entity;
      this.entityId = entityId;
      this.features = features;
    }

    static Features parse(JsonNode node, String where) {
      if (!node.isObject()) {
        throw new InvalidRulesException(where + ": must be a mapping");
      }
      allowOnly(node, where, "entity", "entityId", "features");
      JsonNode entity = node.get("entity");
      if (entity == null || !entity.isTextual() || entity.asText().isBlank()) {
        throw new InvalidRulesException(where + ": missing 'entity'");
      }
      JsonNode id = node.get("entityId");
      if (id == null || !id.isTextual() || id.asText().isBlank()) {
        throw new InvalidRulesException(where + ": missing 'entityId' template");
      }
      Template template = Template.parse(id.asText(), where + ": entityId");
      JsonNode list = node.get("features");
      if (list == null || !list.isArray() || list.isEmpty()) {
        throw new InvalidRulesException(where + ": 'features' must list at least one feature");
      }
      Map<String, String> features = new LinkedHashMap<>();
      for (JsonNode f : list) {
        if (f.isTextual()) {
          put(features, f.asText(), f.asText(), where);
          continue;
        }
        if (!f.isObject()) {
          throw new InvalidRulesException(where + ": feature " + f + " must be a column name or {name, column}");
        }
        allowOnly(f, where + ": feature", "name", "column");
        String column = f.path("column").asText("");
        String name = f.path("name").asText(column);
        if (column.isEmpty()) {
          throw new InvalidRulesException(where + ": feature '" + name + "' has no 'column'");
        }
        put(features, name, column, where);
      }
      return new Features(entity.asText(), template, Collections.unmodifiableMap(features));
    }

    private static void put(Map<String, String> features, String name, String column, String where) {
      if (features.put(name, column) != null) {
        throw new InvalidRulesException(where + ": feature '" + name + "' is listed twice");
      }
    }

    public String entity() {
      return entity;
    }

    public Template entityId() {
      return entityId;
    }

    /** Feature name to source column, in rule order. */
    public Map<String, String> features() {
      return features;
    }
  }

  /**
   * A text template with {@code {column}} placeholders, filled from a change's key and row
   * columns; {@code {_table}} is the table id.
   */
  public static final class Template implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String text;
    private final List<String> parts; // even: literal, odd: placeholder

    private Template(String text, List<String> parts) {
      this.text = text;
      this.parts = parts;
    }

    static Template parse(String text, String where) {
      List<String> parts = new ArrayList<>();
      StringBuilder literal = new StringBuilder();
      int i = 0;
      while (i < text.length()) {
        char c = text.charAt(i);
        if (c == '}') {
          throw new InvalidRulesException(where + ": template '" + text + "' has an unmatched '}'");
        }
        if (c != '{') {
          literal.append(c);
          i++;
          continue;
        }
        int close = text.indexOf('}', i);
        if (close < 0) {
          throw new InvalidRulesException(where + ": template '" + text + "' has an unclosed '{'");
        }
        String name = text.substring(i + 1, close).trim();
        if (name.isEmpty() || name.contains("{")) {
          throw new InvalidRulesException(where + ": template '" + text + "' has an empty or nested placeholder");
        }
        parts.add(literal.toString());
        literal.setLength(0);
        parts.add(name);
        i = close + 1;
      }
      parts.add(literal.toString());
      if (parts.size() == 1) {
        throw new InvalidRulesException(
            where + ": template '" + text + "' has no {column} placeholder, so every row would share it");
      }
      return new Template(text, Collections.unmodifiableList(parts));
    }

    /** The placeholders, in order. */
    public List<String> placeholders() {
      List<String> out = new ArrayList<>();
      for (int i = 1; i < parts.size(); i += 2) {
        out.add(parts.get(i));
      }
      return out;
    }

    /**
     * Fills the template from {@code columns} (searched in order; the first match wins).
     *
     * @throws IllegalArgumentException naming a placeholder that is absent or null
     */
    public String fill(String tableId, List<List<Column>> columns) {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < parts.size(); i++) {
        if (i % 2 == 0) {
          out.append(parts.get(i));
          continue;
        }
        String name = parts.get(i);
        if (name.equals("_table")) {
          out.append(tableId);
          continue;
        }
        String value = null;
        for (List<Column> list : columns) {
          Optional<io.tributary.proto.values.Value> v = Values.find(list, name);
          if (v.isPresent() && !Values.isNull(v.get())) {
            value = Values.toText(v.get());
            break;
          }
        }
        if (value == null) {
          throw new IllegalArgumentException(
              "template '" + text + "': column '" + name + "' is absent or null");
        }
        out.append(value);
      }
      return out.toString();
    }

    @Override
    public String toString() {
      return text;
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static void allowOnly(JsonNode node, String where, String... allowed) {
    Set<String> ok = Set.of(allowed);
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!ok.contains(f)) {
        throw new InvalidRulesException(
            where + ": unknown field '" + f + "' (allowed: " + String.join(", ", allowed) + ")");
      }
    }
  }

  private static List<String> names(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray() || node.isEmpty()) {
      throw new InvalidRulesException(where + ": must be a non-empty list of column names");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : node) {
      if (!n.isTextual() || n.asText().isBlank()) {
        throw new InvalidRulesException(where + ": " + n + " is not a column name");
      }
      out.add(n.asText());
    }
    return Collections.unmodifiableList(out);
  }

  /** A glob over table ids: {@code *} within a dot-separated segment, {@code **} across, {@code ?}. */
  static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
        re.append(".*");
        i++;
      } else if (c == '*') {
        re.append("[^.]*");
      } else if (c == '?') {
        re.append("[^.]");
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }
}
