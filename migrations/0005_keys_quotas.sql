CREATE TABLE `access_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`name` text NOT NULL,
	`scopes` text NOT NULL,
	`secret_sealed` text NOT NULL,
	`created_at` integer NOT NULL,
	`not_before` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`created_by` text NOT NULL,
	`signing_kid` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `access_keys_account` ON `access_keys` (`account_id`);--> statement-breakpoint
CREATE INDEX `access_keys_revoked` ON `access_keys` (`revoked_at`);--> statement-breakpoint
CREATE TABLE `quotas` (
	`account_id` text PRIMARY KEY NOT NULL,
	`max_bytes` integer NOT NULL,
	`max_buckets` integer NOT NULL,
	`max_objects` integer NOT NULL,
	`max_object_size` integer NOT NULL,
	`requests_per_second` integer NOT NULL,
	`bytes_per_second` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `reservations` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`bytes` integer NOT NULL,
	`node_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `reservations_account` ON `reservations` (`account_id`);--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`alg` text NOT NULL,
	`public_jwk` text NOT NULL,
	`private_jwk_sealed` text NOT NULL,
	`created_at` integer NOT NULL,
	`retired_at` integer,
	`drop_after` integer
);
