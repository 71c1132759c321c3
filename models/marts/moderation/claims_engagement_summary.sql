{%- set counts = ['view_count', 'like_count', 'share_count', 'download_count', 'comment_count'] -%}
{%- set rates = {'like_count': 'likes_per_view', 'share_count': 'shares_per_view',
                 'download_count': 'downloads_per_view', 'comment_count': 'comments_per_view'} -%}

with

claims_videos as (
    select * from {{ ref('stg_moderation__claims_videos') }}
),

grouped as (
    select
        claim_status,
        verified_status,
        author_ban_status,
        count(*) as videos,
        {%- for count in counts %}
        avg({{ count }}) as mean_{{ count }},
        median({{ count }}) as median_{{ count }},
        sum({{ count }}) as total_{{ count }},
        {%- endfor %}
        sum(case when view_count = 0 then 1 else 0 end) as videos_without_views
    from claims_videos
    group by claim_status, verified_status, author_ban_status
),

final as (
    select
        claim_status,
        verified_status,
        author_ban_status,
        videos,
        {%- for count in counts %}
        cast(mean_{{ count }} as {{ type_double() }}) as mean_{{ count }},
        cast(median_{{ count }} as {{ type_double() }}) as median_{{ count }},
        {%- endfor %}
        {%- for count, rate in rates.items() %}
        cast(total_{{ count }} as {{ type_double() }})
        / nullif(total_view_count, 0) as {{ rate }},
        {%- endfor %}
        cast(videos_without_views as {{ dbt.type_bigint() }}) as videos_without_views
    from grouped
)

select * from final
