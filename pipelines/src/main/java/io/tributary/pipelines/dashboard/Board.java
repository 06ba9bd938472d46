package io.tributary.pipelines.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The live state of one dashboard page: a model that pipeline steps (or a Kafka reader) change,
 * rendered to JSON after every change and pushed to every subscribed page in order.
 *
 * <p><b>Delivery.</b> Each change gets the next version number. Every subscriber receives the
 * state current when it subscribed, then every later version, in order and without gaps: changes
 * are queued per subscriber and sent on a shared pool, so a slow page delays only itself. A page
 * whose queue exceeds {@value #MAX_QUEUED} versions, or whose connection fails, is dropped (a
 * browser's {@code EventSource} reconnects and starts again from the current state).
 *
 * @param <M> the page's model; changed only inside {@link #update}
 */
public final class Board<M extends Board.Model> {
  /** A page's state. */
  public interface Model {
    /** The state as JSON; called with the board locked. */
    ObjectNode toJson(ObjectMapper mapper);
  }

  /** Where a subscriber's versions go, e.g. a server-sent-events connection. */
  public interface Subscriber {
    /** Sends one version; an exception unsubscribes. */
    void send(long version, String json) throws Exception;
  }

  static final int MAX_QUEUED = 10_000;
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ExecutorService SENDERS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "tributary-dashboard-sender");
            t.setDaemon(true);
            return t;
          });

  private final String name;
  private final M model;
  private final Map<Subscriber, Queue> subscribers = new ConcurrentHashMap<>();
  private long version;
  private boolean dirty;
  private String json;

  public Board(String name, M model) {
    this.name = name;
    this.model = model;
    this.json = render();
  }

  public String name() {
    return name;
  }

  /** Applies a change to the model and pushes the new state to every subscriber. */
  public void update(Consumer<M> change) {
    synchronized (this) {
      change.accept(model);
      publish();
    }
  }

  /**
   * Applies a change without pushing it: the next {@link #update} or {@link #flush} does. For
   * frequent small changes (a closed session) that need not be a version each.
   */
  public synchronized void quietly(Consumer<M> change) {
    change.accept(model);
    dirty = true;
  }

  /** Pushes quiet changes, if any. */
  public synchronized void flush() {
    if (dirty) {
      publish();
    }
  }

  private void publish() {
    version++;
    dirty = false;
    json = render();
    for (Queue q : subscribers.values()) {
      q.offer(version, json);
    }
  }

  /** The current version and state. */
  public synchronized Versioned current() {
    return new Versioned(version, json);
  }

  /** A state and its version. */
  public record Versioned(long version, String json) {}

  /** Adds a subscriber; it first receives the current state. */
  public void subscribe(Subscriber subscriber) {
    Queue q = new Queue(subscriber);
    synchronized (this) {
      subscribers.put(subscriber, q);
      q.offer(version, json);
    }
  }

  public void unsubscribe(Subscriber subscriber) {
    subscribers.remove(subscriber);
  }

  /** Subscribed pages. */
  public int subscribers() {
    return subscribers.size();
  }

  private String render() {
    ObjectNode node = model.toJson(MAPPER);
    node.put("page", name);
    node.put("version", version);
    return node.toString();
  }

  /** One subscriber's pending versions, drained by at most one sender at a time. */
  private final class Queue implements Runnable {
    private final Subscriber subscriber;
    private final ArrayDeque<Versioned> pending = new ArrayDeque<>();
    private boolean draining;

    Queue(Subscriber subscriber) {
      this.subscriber = subscriber;
    }

    synchronized void offer(long version, String json) {
      if (pending.size() >= MAX_QUEUED) {
        pending.clear();
        unsubscribe(subscriber);
        return;
      }
      pending.add(new Versioned(version, json));
      if (!draining) {
        draining = true;
        SENDERS.execute(this);
      }
    }

    @Override
    public void run() {
      while (true) {
        Versioned next;
        synchronized (this) {
          next = pending.poll();
          if (next == null) {
            draining = false;
            return;
          }
        }
        try {
          subscriber.send(next.version(), next.json());
        } catch (Exception e) {
          unsubscribe(subscriber);
          synchronized (this) {
            pending.clear();
            draining = false;
          }
          return;
        }
      }
    }
  }
}
