-- legacy_schema.sqlite.sql - the legacy voice-only schema exactly as SQLAlchemy 1.4 creates it
-- in SQLite (copied from `gen-legacy-db` output: sqlite_master of a generated file). Used by
-- tests/integration/50_legacy.py to build legacy files with crafted rows.

CREATE TABLE customers (
	id INTEGER NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	phone VARCHAR(20) NOT NULL, 
	email VARCHAR(255), 
	is_new_client BOOLEAN, 
	created_at DATETIME, 
	updated_at DATETIME, 
	has_allergies BOOLEAN, 
	is_pregnant BOOLEAN, 
	notes TEXT, 
	PRIMARY KEY (id)
);
CREATE TABLE appointments (
	id INTEGER NOT NULL, 
	customer_id INTEGER NOT NULL, 
	calendar_event_id VARCHAR(255), 
	appointment_datetime DATETIME NOT NULL, 
	service_type VARCHAR(100) NOT NULL, 
	provider VARCHAR(100), 
	duration_minutes INTEGER, 
	status VARCHAR(50), 
	booked_by VARCHAR(50), 
	special_requests TEXT, 
	cancellation_reason TEXT, 
	created_at DATETIME, 
	updated_at DATETIME, 
	cancelled_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(customer_id) REFERENCES customers (id)
);
CREATE TABLE call_sessions (
	id INTEGER NOT NULL, 
	customer_id INTEGER, 
	session_id VARCHAR(255) NOT NULL, 
	phone_number VARCHAR(20), 
	started_at DATETIME, 
	ended_at DATETIME, 
	duration_seconds INTEGER, 
	transcript TEXT, 
	recording_url VARCHAR(500), 
	satisfaction_score FLOAT, 
	sentiment VARCHAR(50), 
	outcome VARCHAR(50), 
	customer_interruptions INTEGER, 
	ai_clarifications_needed INTEGER, 
	function_calls_made INTEGER, 
	escalated BOOLEAN, 
	escalation_reason TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(customer_id) REFERENCES customers (id)
);
CREATE TABLE call_events (
	id INTEGER NOT NULL, 
	call_session_id INTEGER NOT NULL, 
	event_type VARCHAR(100) NOT NULL, 
	timestamp DATETIME, 
	data JSON, 
	PRIMARY KEY (id), 
	FOREIGN KEY(call_session_id) REFERENCES call_sessions (id)
);
CREATE UNIQUE INDEX ix_customers_email ON customers (email);
CREATE INDEX ix_customers_id ON customers (id);
CREATE UNIQUE INDEX ix_customers_phone ON customers (phone);
CREATE INDEX ix_appointments_appointment_datetime ON appointments (appointment_datetime);
CREATE UNIQUE INDEX ix_appointments_calendar_event_id ON appointments (calendar_event_id);
CREATE INDEX ix_appointments_id ON appointments (id);
CREATE INDEX ix_appointments_status ON appointments (status);
CREATE INDEX ix_call_sessions_id ON call_sessions (id);
CREATE INDEX ix_call_sessions_phone_number ON call_sessions (phone_number);
CREATE UNIQUE INDEX ix_call_sessions_session_id ON call_sessions (session_id);
CREATE INDEX ix_call_sessions_started_at ON call_sessions (started_at);
CREATE INDEX ix_call_events_event_type ON call_events (event_type);
CREATE INDEX ix_call_events_id ON call_events (id);
CREATE INDEX ix_call_events_timestamp ON call_events (timestamp);
