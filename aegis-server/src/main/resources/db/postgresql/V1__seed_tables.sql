-- The seed's three tables, exactly as the seed specifies them (columns, defaults, indexes).
-- Table names honour MESSAGE_QUEUE_TABLE and CONNECTIONS_TABLE; index names follow the table name,
-- so with the default names they are the seed's index names.

CREATE TABLE ${connections_table} (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id VARCHAR(255) NOT NULL UNIQUE,
    public_key TEXT NOT NULL,
    session_token VARCHAR(255) NOT NULL,
    connected_at TIMESTAMP NOT NULL DEFAULT NOW(),
    last_seen TIMESTAMP NOT NULL DEFAULT NOW(),
    is_active BOOLEAN NOT NULL DEFAULT true,
    metadata JSONB,
    created_at TIMESTAMP NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_${connections_table}_agent_id ON ${connections_table}(agent_id);
CREATE INDEX idx_${connections_table}_active ON ${connections_table}(is_active);

CREATE TABLE ${message_queue_table} (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id VARCHAR(255) NOT NULL,
    channel VARCHAR(255) NOT NULL,
    message_type VARCHAR(50) NOT NULL,
    payload TEXT NOT NULL,
    encrypted_payload TEXT NOT NULL,
    nonce TEXT NOT NULL,
    signature TEXT NOT NULL,
    status VARCHAR(50) NOT NULL DEFAULT 'pending',
    retry_count INTEGER NOT NULL DEFAULT 0,
    max_retries INTEGER NOT NULL DEFAULT 3,
    created_at TIMESTAMP NOT NULL DEFAULT NOW(),
    processed_at TIMESTAMP,
    expires_at TIMESTAMP NOT NULL DEFAULT (NOW() + INTERVAL '1 hour')
);

CREATE INDEX idx_${message_queue_table}_agent_id ON ${message_queue_table}(agent_id);
CREATE INDEX idx_${message_queue_table}_status ON ${message_queue_table}(status);
CREATE INDEX idx_${message_queue_table}_created_at ON ${message_queue_table}(created_at);

CREATE TABLE communication_channels (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id VARCHAR(255) NOT NULL,
    channel_name VARCHAR(255) NOT NULL,
    channel_type VARCHAR(50) NOT NULL, -- 'agent_to_backend' or 'backend_to_agent'
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMP NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP NOT NULL DEFAULT NOW(),
    UNIQUE(agent_id, channel_name)
);

CREATE INDEX idx_communication_channels_agent_id ON communication_channels(agent_id);
CREATE INDEX idx_communication_channels_type ON communication_channels(channel_type);
