{#- Every ordered pair of distinct videos with at least one co-viewer, with Pearson's r of
    their per-user watch-time vectors over all users (see the coview_correlation docs).
    The pair arithmetic is the coview_pair_ctes macro, shared with the offline evaluation. -#}
{#- A view: the tens of millions of pairs stream into the neighbour ranking, never written. -#}
{{ config(materialized='view') }}

with

watches as (
    select
        user_key,
        video_key,
        watch_time_seconds
    from {{ ref('int_coview_watches_capped') }}
),

videos as (
    select * from {{ ref('int_coview_videos_summarised') }}
),

{{ coview_pair_ctes('watches', 'videos') }},

final as (
    select * from coview_pairs_mirrored
)

select * from final
