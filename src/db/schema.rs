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

diesel::table! {
    trajectories (id) {
        id -> Text,
        organization_id -> Text,
        cohort_id -> Text,
        employee_id -> Text,
        coach_id -> Text,
        status -> Text,
        stop_reason -> Nullable<Text>,
        stop_note -> Nullable<Text>,
        inclusion_answers -> Text,
        inclusion_advice -> Text,
        inclusion_override_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    trajectory_events (id) {
        id -> Text,
        trajectory_id -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Nullable<Text>,
        note -> Nullable<Text>,
        actor_id -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        trajectory_id -> Text,
        kind -> Text,
        given -> Bool,
        recorded_by -> Text,
        on_behalf_of_employee -> Bool,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    absences (id) {
        id -> Text,
        employee_id -> Text,
        start_date -> Date,
        end_date -> Nullable<Date>,
        percentage -> Integer,
        category -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    intakes (trajectory_id) {
        trajectory_id -> Text,
        factors -> Text,
        goals -> Text,
        basic_needs -> Text,
        expectations -> Text,
        shared_with_employee -> Bool,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    plans (trajectory_id) {
        trajectory_id -> Text,
        course_order -> Text,
        first_course_reason -> Nullable<Text>,
        focus_courses -> Text,
        course_modes -> Text,
        digital_skills_pretrack -> Bool,
        group_sessions_interest -> Bool,
        buddy_interest -> Bool,
        help_needed -> Nullable<Text>,
        shared_with_employee -> Bool,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    logbook_entries (id) {
        id -> Text,
        trajectory_id -> Text,
        author_id -> Text,
        entry_date -> Date,
        kind -> Text,
        duration_minutes -> Integer,
        preparation_minutes -> Integer,
        led_by -> Text,
        impression -> Nullable<Text>,
        agreements -> Nullable<Text>,
        developments -> Nullable<Text>,
        next_appointment -> Nullable<Date>,
        shared_with_employee -> Bool,
        weighing -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    logbook_revisions (id) {
        id -> Text,
        entry_id -> Text,
        previous -> Text,
        revised_by -> Text,
        revised_at -> Timestamp,
    }
}

diesel::table! {
    work_value_snapshots (id) {
        id -> Text,
        trajectory_id -> Text,
        card -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

// Every table may be joined with every other (the list grows with each migration).
diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    cohorts,
    users,
    refresh_tokens,
    login_throttle,
    course_versions,
    course_progress,
    page_progress,
    trajectories,
    trajectory_events,
    consents,
    absences,
    intakes,
    plans,
    logbook_entries,
    logbook_revisions,
    work_value_snapshots,
);
