{#- Pieces of the feed recommender shared by the served lists (user_video_recommendations) and
    the offline evaluation (recommendation_offline_eval), so both run the same strategy SQL. -#}

{#- Fresh (explore) slots per list: round(N x feed_fresh_share). -#}
{% macro feed_fresh_slots() -%}
    {{ return((var('feed_recommendations_per_user') * var('feed_fresh_share')) | round | int) }}
{%- endmacro %}

{#- co_view candidates: the positive-correlation neighbours of each user's feed_coview_seed_videos
    most recent videos, not watched, scored by the summed correlation; one row per user and video.
    `user_videos` is int_fit_user_videos_aggregated (already narrowed to one fit and its users),
    `neighbors` has video_id, neighbor_video_id, correlation. -#}
{% macro feed_coview_candidates(user_videos, neighbors) -%}
    select
        seeds.fit_id,
        seeds.user_id,
        {{ neighbors }}.neighbor_video_id as video_id,
        sum({{ neighbors }}.correlation) as score
    from {{ user_videos }} as seeds
    inner join {{ neighbors }}
        on seeds.video_id = {{ neighbors }}.video_id
    left join {{ user_videos }} as watched
        on
            seeds.user_id = watched.user_id
            and {{ neighbors }}.neighbor_video_id = watched.video_id
    where
        seeds.recency_rank <= {{ var('feed_coview_seed_videos') }}
        and {{ neighbors }}.correlation > 0
        and watched.video_id is null
    group by seeds.fit_id, seeds.user_id, {{ neighbors }}.neighbor_video_id
{%- endmacro %}

{#- The blend: CTEs (named <prefix>_...) that turn `candidates` (fit_id, user_id, video_id,
    candidate_source, source_rank, score; sources co_view, genre_trending, popular, fresh) into lists of
    exactly N per user, in <prefix>_blended (fit_id, user_id, recommendation_rank, video_id,
    score, reason). Fresh picks take round(N x feed_fresh_share) slots at ranks i x N / slots;
    the other slots take, in order: co_view candidates scoring at least feed_coview_min_score,
    genre_trending, the weaker co_view candidates, then popular. A video proposed by several
    sources appears once, under the first of them. Emits a trailing comma. -#}
{% macro feed_blend_ctes(candidates, prefix) -%}
{%- set slots = var('feed_recommendations_per_user') %}
{%- set fresh_slots = feed_fresh_slots() %}
{{ prefix }}_fresh as (
    select
        fit_id,
        user_id,
        video_id,
        score,
        'fresh' as reason,
        {%- if fresh_slots > 0 %}
        floor(source_rank * {{ slots }} / {{ fresh_slots }}) - source_rank + 0.5 as slot_key
        {%- else %}
        0 as slot_key
        {%- endif %}
    from {{ candidates }}
    where candidate_source = 'fresh' and source_rank <= {{ fresh_slots }}
),

{{ prefix }}_fresh_taken as (
    select
        fit_id,
        user_id,
        count(*) as fresh_picks
    from {{ prefix }}_fresh
    group by fit_id, user_id
),

{{ prefix }}_exploit as (
    select
        {{ candidates }}.fit_id,
        {{ candidates }}.user_id,
        {{ candidates }}.video_id,
        {{ candidates }}.candidate_source,
        {{ candidates }}.source_rank,
        {{ candidates }}.score,
        case
            when {{ candidates }}.candidate_source = 'co_view'
                and {{ candidates }}.score >= {{ var('feed_coview_min_score') }} then 1
            when {{ candidates }}.candidate_source = 'genre_trending' then 2
            when {{ candidates }}.candidate_source = 'co_view' then 3
            else 4
        end as priority
    from {{ candidates }}
    left join {{ prefix }}_fresh
        on
            {{ candidates }}.fit_id = {{ prefix }}_fresh.fit_id
            and {{ candidates }}.user_id = {{ prefix }}_fresh.user_id
            and {{ candidates }}.video_id = {{ prefix }}_fresh.video_id
    where {{ candidates }}.candidate_source != 'fresh' and {{ prefix }}_fresh.video_id is null
),

{{ prefix }}_exploit_deduplicated as (
    select
        *,
        row_number() over (
            partition by fit_id, user_id, video_id order by priority, source_rank
        ) as source_preference
    from {{ prefix }}_exploit
),

{{ prefix }}_exploit_ordered as (
    select
        *,
        row_number() over (
            partition by fit_id, user_id order by priority, source_rank, video_id
        ) as exploit_order
    from {{ prefix }}_exploit_deduplicated
    where source_preference = 1
),

{{ prefix }}_exploit_kept as (
    select
        {{ prefix }}_exploit_ordered.fit_id,
        {{ prefix }}_exploit_ordered.user_id,
        {{ prefix }}_exploit_ordered.video_id,
        {{ prefix }}_exploit_ordered.score,
        {{ prefix }}_exploit_ordered.candidate_source as reason,
        {{ prefix }}_exploit_ordered.exploit_order as slot_key
    from {{ prefix }}_exploit_ordered
    left join {{ prefix }}_fresh_taken
        on
            {{ prefix }}_exploit_ordered.fit_id = {{ prefix }}_fresh_taken.fit_id
            and {{ prefix }}_exploit_ordered.user_id = {{ prefix }}_fresh_taken.user_id
    where
        {{ prefix }}_exploit_ordered.exploit_order
        <= {{ slots }} - coalesce({{ prefix }}_fresh_taken.fresh_picks, 0)
),

{{ prefix }}_blended as (
    select
        fit_id,
        user_id,
        video_id,
        score,
        reason,
        row_number() over (
            partition by fit_id, user_id order by slot_key, video_id
        ) as recommendation_rank
    from (
        select * from {{ prefix }}_fresh
        union all
        select * from {{ prefix }}_exploit_kept
    ) as picks
),
{%- endmacro %}

{#- co_view candidates as a candidate source: feed_coview_candidates ranked per user, the best
    N + fresh slots kept. -#}
{% macro feed_coview_source(user_videos, neighbors) -%}
    select
        fit_id,
        user_id,
        video_id,
        'co_view' as candidate_source,
        cast(source_rank as {{ dbt.type_int() }}) as source_rank,
        cast(score as {{ type_double() }}) as score
    from (
        select
            *,
            row_number() over (
                partition by fit_id, user_id order by score desc, video_id asc
            ) as source_rank
        from ({{ feed_coview_candidates(user_videos, neighbors) }}) as co_view_scores
    ) as co_view_ranked
    -- no list needs more than N + fresh slots candidates from one source
    where source_rank <= {{ var('feed_recommendations_per_user') + feed_fresh_slots() }}
{%- endmacro %}
