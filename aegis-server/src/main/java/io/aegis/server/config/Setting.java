package io.aegis.server.config;

/**
 * Every environment variable the gateway reads, in one place: its name, default and meaning.
 * The names in the first group are the seed's; the {@code AEGIS_*} and {@code TLS_*} ones are ours.
 * {@link Config} parses and validates them; the README's configuration table is written from this list.
 */
public enum Setting {
  // --- the seed's variables ---
  WEBSOCKET_PORT("8080", "TCP port for the REST API and the agent WebSocket (one port for both). 0 picks a free port."),
  WEBSOCKET_PATH("/ws/agent", "Path of the agent WebSocket endpoint."),
  WEBSOCKET_READ_BUFFER_SIZE("0", "Socket receive buffer per connection in bytes (SO_RCVBUF); 0 leaves it to the OS. Small values save memory per agent and cap per-agent throughput."),
  WEBSOCKET_WRITE_BUFFER_SIZE("0", "Socket send buffer per connection in bytes (SO_SNDBUF); 0 leaves it to the OS."),
  AUTH_PRIVATE_KEY_PATH("${AEGIS_DATA_DIR}/auth/private.pem", "The backend's Ed25519 identity private key (PKCS#8 PEM). Created, owner-only, on first start if missing."),
  AUTH_PUBLIC_KEY_PATH("${AEGIS_DATA_DIR}/auth/public.pem", "The backend's Ed25519 identity public key (SPKI PEM). Agents pin it."),
  SESSION_TIMEOUT("24h", "Lifetime of an agent session (WebSocket session and HTTP session token), 1s to 30d. At its end the gateway closes the WebSocket with 4002 and the agent performs a fresh handshake."),
  ENCRYPTION_ALGORITHM("chacha20poly1305", "Record-layer AEAD. Only chacha20poly1305 is supported; anything else is refused at start."),
  KEY_ROTATION_INTERVAL("1h", "Traffic keys are ratcheted (KeyUpdate) at least this often within a session. The seed's example says 24h, which would never fire within a 24h session."),
  MESSAGE_QUEUE_SIZE("10000", "Maximum undelivered messages queued per agent; a send beyond it is refused (HTTP 429), never dropped."),
  MESSAGE_RETRY_ATTEMPTS("3", "Deliveries attempted per message before it is marked failed."),
  MESSAGE_TTL("1h", "Default time to live of a queued message; after it the message is expired and never delivered."),
  DATABASE_URL("", "PostgreSQL, as postgresql://user:pass@host:port/db or a jdbc:postgresql: URL. Unset: the embedded SQLite store under AEGIS_DATA_DIR."),
  MESSAGE_QUEUE_TABLE("message_queue", "Name of the message queue table."),
  CONNECTIONS_TABLE("agent_connections", "Name of the agent connections table."),
  REDIS_URL("", "Redis for a cluster of nodes (redis://[user:password@]host:port[/db], or rediss:// for TLS): presence of every agent's session and the notices between nodes. Needs DATABASE_URL (PostgreSQL), which all nodes share. Unset: a single node."),

  // --- ours ---
  AEGIS_DATA_DIR("./data", "Directory for the embedded database and the generated keys."),
  AEGIS_ADMIN_TOKEN("", "Operator bearer token. Unset: one is generated at first start, printed once, and stored only as a hash."),
  AEGIS_BIND_ADDRESS("", "Listen address. Default: 0.0.0.0 with TLS (or AEGIS_ALLOW_INSECURE=true), otherwise 127.0.0.1."),
  AEGIS_ALLOW_INSECURE("false", "Allow plain HTTP/ws:// on non-loopback addresses (development only; logs a warning)."),
  TLS_CERT_PATH("", "TLS certificate chain (PEM). With TLS_KEY_PATH the gateway serves HTTPS/WSS only. Read at start."),
  TLS_KEY_PATH("", "TLS private key (PEM, PKCS#8 or PKCS#1/SEC1)."),
  AEGIS_TLS_RELOAD_INTERVAL("10s", "How often TLS_CERT_PATH and TLS_KEY_PATH are checked for changes (modification time, size, content hash); a changed pair is loaded without a restart and without dropping sessions. A bad pair is logged and the old certificate kept."),
  AEGIS_NODE_ID("", "This node's id in a cluster (1-64 characters of A-Za-z0-9._:-); shown in the banner, /readyz, metrics and the agent status. Default: the host name and WEBSOCKET_PORT (host-8080), or the host name and the process id with port 0. Give every node its own."),
  AEGIS_QUEUE_PARTITIONS("16", "PostgreSQL: hash partitions of the message queue table by agent id, made when the queue is first partitioned (an existing queue is moved into them once, at that start); each partition is swept by one node of a cluster at a time. 1 leaves the table unpartitioned. Changing it later does not repartition. SQLite ignores it."),
  AEGIS_DRAIN_PERIOD("30s", "On SIGTERM or POST /api/v1/nodes/{node_id}/drain, the time over which a node asks its agents to reconnect elsewhere (close code 4009), spread evenly so the other nodes take them at a steady rate; then it stops. 0s closes them all at once."),
  AEGIS_NODE_TTL("10s", "How long a node stays known as alive after its last heartbeat to Redis (it beats every third of this). A node killed with kill -9 is known dead after at most this long: its agents' presence is forgotten and they reconnect elsewhere."),
  AEGIS_REDIS_TIMEOUT("2s", "Longest a Redis command may take; one that takes longer counts as failed (the node then works from the store, as when Redis is down)."),
  AEGIS_LOG_FORMAT("text", "Log lines on stderr: text, or json (one object per line with time, level, logger, thread, message, and node_id, agent_id, message_id where known; see docs/OPERATIONS.md). Never a token, key or payload in either."),
  AEGIS_LOG_LEVEL("INFO", "Least severe level logged by the gateway: TRACE, DEBUG, INFO, WARN, ERROR or OFF. Libraries (Vert.x, Netty, HikariCP, Flyway) log WARN and above."),
  AEGIS_METRICS_CHANNELS("50", "Channels that get their own channel label in the message metrics (aegis_messages_total), besides the gateway's own; messages on later channels count as channel=\"other\". Bounds the series that made-up channel names can create."),
  AEGIS_MAX_BODY_SIZE("2MiB", "Largest accepted HTTP request body; larger requests get 413."),
  AEGIS_MAX_FRAME_SIZE("1MiB", "Largest accepted WebSocket frame/message; larger closes the session with 1009."),
  AEGIS_ARTIFACT_MAX_CONTENT_SIZE("1MiB", "Largest artifact content stored inline; larger artifacts must be published with a download_url."),
  AEGIS_AUTH_MAX_CLOCK_SKEW("5m", "How far an agent's authentication timestamp may be from the gateway's clock."),
  AEGIS_AUTH_RATE_LIMIT("20", "Authentication attempts (POST /api/v1/auth) per second per client address, with bursts of twice that; 0 disables the limit."),
  AUTH_NEXT_PRIVATE_KEY_PATH("", "The backend's next identity key (PKCS#8 PEM), for key rotation: announced to agents, signed by the current key, and accepted in handshakes that ask for it. See docs/OPERATIONS.md."),
  AEGIS_HANDSHAKE_TIMEOUT("10s", "Time an agent has from the WebSocket upgrade to a completed handshake; then the connection closes with 4007."),
  AEGIS_HEARTBEAT_INTERVAL("10s", "How often the gateway pings each agent. A silently dead agent socket is closed at most AEGIS_HEARTBEAT_INTERVAL + AEGIS_HEARTBEAT_TIMEOUT after it died (30 s by default)."),
  AEGIS_HEARTBEAT_TIMEOUT("20s", "A session that has received nothing (not even a pong) for this long is dead and is closed."),
  AEGIS_KEY_ROTATION_RECORDS("1000000", "Traffic keys are also ratcheted after this many records in one direction."),
  AEGIS_TRUSTED_PROXIES("", "Comma-separated IP addresses or CIDR networks of proxies (load balancers) whose X-Forwarded-For header names the real client; every per-address limit then counts that client. Unset: the connection's peer is the client, and the header is ignored."),
  AEGIS_HTTP_HEADER_TIMEOUT("10s", "Time a new connection has to send a complete request head (request line and headers); then it is closed. Answers slowloris-style clients that open connections and send nothing or a byte at a time."),
  AEGIS_HTTP_BODY_TIMEOUT("30s", "Time a request has, from its head, to send its whole body; then the connection is closed. Answers clients that send a body slowly to hold a connection."),
  AEGIS_HTTP_IDLE_TIMEOUT("90s", "A connection on which nothing was read or written for this long is closed, and a kept-alive connection must send its next request head within it. Longer than AEGIS_MAX_POLL_WAIT and AEGIS_MAX_SEND_WAIT."),
  AEGIS_MAX_CONNECTIONS_PER_ADDRESS("4096", "Open connections (HTTP and WebSocket) from one client address; beyond it new ones are closed at once. Trusted proxies are not counted. Raise it for sites with more agents behind one NAT address."),
  AEGIS_MAX_PENDING_HANDSHAKES_PER_ADDRESS("256", "Upgrades in progress at once from one client address; beyond it upgrades get 429. Keeps one address from filling the node's AEGIS_MAX_PENDING_HANDSHAKES."),
  AEGIS_AUTH_FAILURE_RATE_LIMIT("5", "Failed authentications (any token, enrollment token, POST /api/v1/auth, WebSocket upgrade or handshake) per second per client address, bursts of twice that; past it the address's requests and upgrades get 429 until its budget refills. 0 disables."),
  AEGIS_ENROLL_RATE_LIMIT("5", "Enrollments (POST /api/v1/enroll) per second per client address, bursts of twice that; beyond it 429. 0 disables."),
  AEGIS_OPERATOR_RATE_LIMIT("10000", "REST requests per second per operator token, bursts of twice that; beyond it 429. 0 disables."),
  AEGIS_AGENT_RATE_LIMIT("50", "REST requests per second per agent (an HTTP-polling agent's polls, posts and events), bursts of twice that; beyond it 429. 0 disables."),
  AEGIS_HANDSHAKE_RATE_LIMIT("500", "WebSocket upgrades per second per client address, bursts of twice that; 0 disables. Agents behind one NAT share an address: size it for your largest site."),
  AEGIS_MAX_PENDING_HANDSHAKES("4096", "Upgrades in progress at once on this node; beyond it new upgrades get 503 and retry elsewhere or later."),
  AEGIS_MAX_SESSIONS("200000", "Live agent sessions on this node; beyond it new upgrades get 503."),
  AEGIS_SESSION_RATE_LIMIT("200", "Records per second an agent may send in its session, bursts of twice that; beyond it the session closes with 4005. 0 disables."),
  AEGIS_AGENT_SIGNATURES("required", "Signatures on agent→backend event, request and response records: required (unsigned ones are refused), optional (verified when present) or off."),
  AEGIS_LAST_SEEN_FLUSH_INTERVAL("15s", "How often last-seen times of live sessions are written to the connections table (in one batch, not one write per heartbeat)."),
  AEGIS_ACK_TIMEOUT("30s", "How long a transmitted message waits for the agent's acknowledgement before it is sent again; each later attempt waits twice as long."),
  AEGIS_DELIVERY_WINDOW("128", "Messages in flight (sent, not yet acknowledged) per agent; the rest wait in the durable queue."),
  AEGIS_DELIVERY_SWEEP_INTERVAL("5s", "How often each node expires overdue messages and looks for pending messages no node is delivering."),
  AEGIS_MESSAGE_RETENTION("7d", "How long finished messages (delivered, failed, expired, cancelled) stay queryable through GET /api/v1/messages before they are deleted."),
  AEGIS_IDEMPOTENCY_WINDOW("24h", "How long an Idempotency-Key on a send or broadcast is remembered: the same key from the same operator within it gets the first answer and creates nothing."),
  AEGIS_AUDIT_SIGN_INTERVAL("1m", "How often the audit log's head is signed with the backend identity key (a checkpoint, when entries were added since the last one). Entries after the last checkpoint are protected by the hash chain alone until the next."),
  AEGIS_APPROVAL_THRESHOLD("", "Broadcasts to more than this many agents wait for a second operator's approval (a token with the approve scope other than the sender's). Unset: no broadcast needs approval for its size."),
  AEGIS_APPROVAL_CHANNELS("", "Comma-separated channels on which every send and broadcast waits for a second operator's approval. Unset: none."),
  AEGIS_APPROVAL_TIMEOUT("1h", "How long a send or broadcast waits for approval; then it expires and is never sent."),
  AEGIS_REQUEST_DEADLINE("10s", "Longest a send or broadcast may wait to be committed; past it the node answers 504 deadline_exceeded and never commits it. A client may ask for less with the Request-Timeout header."),
  AEGIS_MAX_SEND_WAIT("60s", "Longest a send may wait for the agent's response (the send's \"wait\" option)."),
  AEGIS_MAX_POLL_WAIT("60s", "Longest an HTTP long poll (GET /api/v1/agents/{agent_id}/messages/poll) may wait for a message (its \"wait\" parameter; a longer wait is cut to this)."),
  AEGIS_DB_POOL_SIZE("16", "Database connections (PostgreSQL). SQLite uses a small fixed pool."),
  AEGIS_STATUS_BACKLOG("100000", "Status writes (acknowledgements, responses, refusals) this node keeps while its store is unreachable, to write them in order when it is back; beyond it they are dropped and counted (the message is then settled by its next transmission)."),
  AEGIS_DB_CONNECT_TIMEOUT("5s", "Longest a new PostgreSQL connection may take to open (TCP and login); then the attempt fails and the pool tries again."),
  AEGIS_DB_SOCKET_TIMEOUT("30s", "Longest a PostgreSQL query may wait for the server's answer before its connection is dropped as dead (a silent partition); also bounds every statement's time. Migrations at startup are not bounded by it."),
  AEGIS_EVENT_LOOPS("0", "Event-loop threads, each with its own listener on the port (sockets, handshakes, record crypto). 0: two per core."),
  AEGIS_BLOCKING_POOL_SIZE("32", "Threads that run database work for the REST API."),
  AEGIS_CONSOLE("true", "Serve the web console at /console (static files; it signs in with an operator token and uses the REST API). false: /console answers 404.");

  private final String defaultValue;
  private final String description;

  Setting(String defaultValue, String description) {
    this.defaultValue = defaultValue;
    this.description = description;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }
}
