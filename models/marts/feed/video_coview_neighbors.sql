with

pairs as (
    select * from {{ ref('int_coview_pairs_correlated') }}
),

videos as (
    select
        video_key,
        video_id
    from {{ ref('int_coview_videos_summarised') }}
),

-- Keys follow video_id order, so ordering by the other key breaks ties by the lower video_id.
ranked as (
    select
        video_key,
        other_video_key,
        correlation,
        co_viewers,
        row_number() over (
            partition by video_key
            order by correlation desc, other_video_key asc
        ) as neighbor_rank
    from pairs
),

top_neighbors as (
    select * from ranked
    where neighbor_rank <= {{ var('coview_neighbors_k') }}
),

final as (
    select
        video.video_id,
        neighbor.video_id as neighbor_video_id,
        cast(top_neighbors.neighbor_rank as {{ dbt.type_int() }}) as neighbor_rank,
        top_neighbors.correlation,
        cast(top_neighbors.co_viewers as {{ dbt.type_bigint() }}) as co_viewers
    from top_neighbors
    inner join videos as video
        on top_neighbors.video_key = video.video_key
    inner join videos as neighbor
        on top_neighbors.other_video_key = neighbor.video_key
)

select * from final
