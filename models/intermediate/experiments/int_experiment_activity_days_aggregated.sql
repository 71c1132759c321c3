{#- Each assigned user's activity per day, over the pre-period and the experiment window:
    feed interactions for feed experiments, FaceID/Animoji sessions for face experiments
    (the two surfaces have separate user id spaces). Only days with activity have a row.
    A surface whose domain is not in this build is read as no rows of the same columns (its
    assignments are quarantined as surface_not_loaded anyway). -#}

with

windowed as (
    select * from {{ ref('int_experiment_assignments_windowed') }}
),

interactions as (
    {%- if domain_enabled('feed') %}
    select
        user_id,
        first_clicked_at,
        watch_time_seconds,
        shares
    from {{ ref('stg_feed__interactions') }}
    {%- else %}
    select
        cast(null as {{ dbt.type_bigint() }}) as user_id,
        cast(null as {{ dbt.type_timestamp() }}) as first_clicked_at,
        cast(null as {{ type_double() }}) as watch_time_seconds,
        cast(null as {{ dbt.type_int() }}) as shares
    where 1 = 0
    {%- endif %}
),

product_interactions as (
    {%- if domain_enabled('face') %}
    select
        user_id,
        started_at,
        product,
        interaction_time_seconds
    from {{ ref('stg_face__product_interactions') }}
    {%- else %}
    select
        cast(null as {{ dbt.type_bigint() }}) as user_id,
        cast(null as {{ dbt.type_timestamp() }}) as started_at,
        cast(null as {{ dbt.type_string() }}) as product,
        cast(null as {{ type_double() }}) as interaction_time_seconds
    where 1 = 0
    {%- endif %}
),

feed_assignments as (
    select * from windowed
    where surface = 'feed'
),

face_assignments as (
    select * from windowed
    where surface = 'face'
),

feed_events as (
    select
        feed_assignments.experiment_id,
        feed_assignments.user_id,
        feed_assignments.start_date,
        cast(interactions.first_clicked_at as date) as activity_date,
        interactions.watch_time_seconds,
        interactions.shares
    from interactions
    inner join feed_assignments on interactions.user_id = feed_assignments.user_id
    where
        cast(interactions.first_clicked_at as date) >= feed_assignments.pre_start_date
        and cast(interactions.first_clicked_at as date) <= feed_assignments.end_date
),

face_events as (
    select
        face_assignments.experiment_id,
        face_assignments.user_id,
        face_assignments.start_date,
        cast(product_interactions.started_at as date) as activity_date,
        product_interactions.product,
        product_interactions.interaction_time_seconds
    from product_interactions
    inner join face_assignments on product_interactions.user_id = face_assignments.user_id
    where
        cast(product_interactions.started_at as date) >= face_assignments.pre_start_date
        and cast(product_interactions.started_at as date) <= face_assignments.end_date
),

feed_days as (
    select
        experiment_id,
        user_id,
        activity_date,
        activity_date < start_date as is_pre_period,
        count(*) as events,
        sum(watch_time_seconds) as watch_time_seconds,
        sum(shares) as shares,  -- noqa: RF04
        cast(0 as {{ type_double() }}) as animoji_seconds,
        cast(0 as {{ type_double() }}) as faceid_seconds
    from feed_events
    group by experiment_id, user_id, activity_date, start_date
),

face_days as (
    select
        experiment_id,
        user_id,
        activity_date,
        activity_date < start_date as is_pre_period,
        count(*) as events,
        cast(0 as {{ type_double() }}) as watch_time_seconds,
        0 as shares,  -- noqa: RF04
        sum(case when product = 'Animoji' then interaction_time_seconds else 0 end) as animoji_seconds,
        sum(case when product = 'FaceID' then interaction_time_seconds else 0 end) as faceid_seconds
    from face_events
    group by experiment_id, user_id, activity_date, start_date
),

final as (
    select * from feed_days
    union all
    select * from face_days
)

select * from final
