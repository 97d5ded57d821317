-- The schema the clients' catalog queries (pgjdbc.sql) run over.
DROP VIEW IF EXISTS jt_big;
DROP TABLE IF EXISTS jt_orders;
DROP TABLE IF EXISTS jt_customers;

CREATE TABLE jt_customers (
    id    int PRIMARY KEY,
    email text UNIQUE NOT NULL,
    name  varchar(40)
);

CREATE TABLE jt_orders (
    id          bigserial PRIMARY KEY,
    customer_id int REFERENCES jt_customers(id) ON DELETE CASCADE,
    total       numeric(10,2) DEFAULT 0,
    note        text,
    created     timestamptz DEFAULT now()
);

CREATE INDEX jt_orders_customer ON jt_orders(customer_id);

CREATE VIEW jt_big AS SELECT * FROM jt_orders WHERE total > 100;

COMMENT ON TABLE jt_orders IS 'orders';
