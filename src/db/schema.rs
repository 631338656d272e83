//! Hand-written diesel schema with portable types only, so that one schema serves SQLite and
//! PostgreSQL (see STACK.md). Keep it in step with both `migrations/` folders; a test compares them.

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        aftercare_weeks -> Text,
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
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ended_sessions (session_id, ended_at) {
        session_id -> Text,
        ended_at -> Timestamp,
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
        talk_asked_trajectory_id -> Nullable<Text>,
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
    past_course_progress (trajectory_id, course_slug) {
        trajectory_id -> Text,
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
        talk_asked_trajectory_id -> Nullable<Text>,
    }
}

diesel::table! {
    past_page_progress (trajectory_id, course_slug, page_id) {
        trajectory_id -> Text,
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
        recruitment_minutes -> Nullable<Integer>,
        method_consent -> Bool,
        research_consent -> Bool,
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

diesel::table! {
    outbox (id) {
        id -> Text,
        template -> Text,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        subject_ref -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        send_before -> Nullable<Timestamp>,
        due_since -> Nullable<Timestamp>,
        recipient_id -> Nullable<Text>,
    }
}

diesel::table! {
    password_links (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    magic_links (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    group_sessions (id) {
        id -> Text,
        organization_id -> Text,
        facilitator_id -> Text,
        starts_at -> Timestamp,
        place -> Nullable<Text>,
        video_link -> Nullable<Text>,
        topic -> Text,
        notes -> Nullable<Text>,
        cancelled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    group_invitations (session_id, employee_id) {
        session_id -> Text,
        employee_id -> Text,
        attendance -> Nullable<Text>,
        invited_at -> Timestamp,
    }
}

diesel::table! {
    buddy_pairs (id) {
        id -> Text,
        organization_id -> Text,
        employee_a -> Text,
        employee_b -> Text,
        status -> Text,
        a_confirmed -> Bool,
        b_confirmed -> Bool,
        a_contact -> Nullable<Text>,
        b_contact -> Nullable<Text>,
        proposed_by -> Text,
        created_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        ended_by -> Nullable<Text>,
    }
}

diesel::table! {
    workplace_visits (id) {
        id -> Text,
        trajectory_id -> Text,
        visit_date -> Date,
        kind -> Text,
        with_whom -> Text,
        status -> Text,
        how_it_went -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    card_links (id) {
        id -> Text,
        trajectory_id -> Text,
        token_hash -> Text,
        delivery -> Text,
        max_uses -> Integer,
        uses -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    cards (id) {
        id -> Text,
        trajectory_id -> Text,
        link_id -> Text,
        author_name -> Text,
        message -> Text,
        delivery -> Text,
        blocked -> Bool,
        blocked_by -> Nullable<Text>,
        deliver_after -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    work_returns (id) {
        id -> Text,
        trajectory_id -> Text,
        return_date -> Date,
        extent -> Text,
        hours_per_week -> Double,
        own_work -> Bool,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        corrected_at -> Nullable<Timestamp>,
        corrected_by -> Nullable<Text>,
    }
}

diesel::table! {
    aftercare_checkins (id) {
        id -> Text,
        trajectory_id -> Text,
        week -> Integer,
        due_on -> Date,
        status -> Text,
        note -> Nullable<Text>,
        skip_reason -> Nullable<Text>,
        completed_at -> Nullable<Timestamp>,
        completed_by -> Nullable<Text>,
        reminder_sent_at -> Nullable<Timestamp>,
        overdue_reminder_sent_at -> Nullable<Timestamp>,
        shared_with_employee -> Bool,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        action -> Text,
        subject_id -> Nullable<Text>,
        organization_id -> Nullable<Text>,
        route -> Text,
        request_id -> Text,
        detail -> Nullable<Text>,
        subject_set -> Nullable<Text>,
    }
}

diesel::table! {
    audit_subject_sets (set_id, subject_id) {
        set_id -> Text,
        subject_id -> Text,
    }
}

diesel::table! {
    questionnaire_responses (id) {
        id -> Text,
        questionnaire_key -> Text,
        version -> Integer,
        respondent_id -> Text,
        organization_id -> Text,
        trajectory_id -> Nullable<Text>,
        cohort_id -> Nullable<Text>,
        subject_key -> Text,
        answers -> Text,
        open_answers -> Text,
        status -> Text,
        entered_by -> Text,
        on_paper -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
    }
}

// Every table may be joined with every other (the list grows with each migration).
diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    cohorts,
    users,
    refresh_tokens,
    ended_sessions,
    login_throttle,
    course_versions,
    course_progress,
    page_progress,
    past_course_progress,
    past_page_progress,
    trajectories,
    trajectory_events,
    consents,
    absences,
    intakes,
    plans,
    logbook_entries,
    logbook_revisions,
    work_value_snapshots,
    outbox,
    magic_links,
    password_links,
    group_sessions,
    group_invitations,
    buddy_pairs,
    workplace_visits,
    card_links,
    cards,
    work_returns,
    aftercare_checkins,
    audit_log,
    audit_subject_sets,
    questionnaire_responses,
);
