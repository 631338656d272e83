//! Hand-written diesel schema with portable types only, so that one schema serves SQLite and
//! PostgreSQL (see STACK.md). Keep it in step with both `migrations/` folders; a test compares them.

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cohorts (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        starts_on -> Nullable<Date>,
        ends_on -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        first_name -> Text,
        last_name -> Nullable<Text>,
        role -> Text,
        organization_id -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::joinable!(cohorts -> organizations (organization_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(organizations, cohorts, users, refresh_tokens, login_throttle,);

diesel::table! {
    course_versions (id) {
        id -> Text,
        course_slug -> Text,
        content_hash -> Text,
        title -> Text,
        page_hashes -> Text,
        loaded_at -> Timestamp,
    }
}

diesel::table! {
    course_progress (user_id, course_slug) {
        user_id -> Text,
        course_slug -> Text,
        started_at -> Timestamp,
        last_page_id -> Nullable<Text>,
        celebration -> Nullable<Text>,
        celebrated_at -> Nullable<Timestamp>,
        reflection -> Nullable<Text>,
        reflection_choice -> Nullable<Text>,
        reflected_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        completed_via -> Nullable<Text>,
        completed_by -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    page_progress (user_id, course_slug, page_id) {
        user_id -> Text,
        course_slug -> Text,
        page_id -> Text,
        page_hash -> Text,
        visited_at -> Timestamp,
        done_at -> Nullable<Timestamp>,
        answers -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(course_versions, course_progress, page_progress, users);
