# Search reads the newest matches first (chats.search): this index lets
# PostgreSQL walk posts in that order and stop once it has enough, rather than
# sort every post of a term found almost everywhere (docs/benchmarks.md).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('chats', '0005_post_chat_author_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='post',
            index=models.Index(fields=['-created_at', '-id'], name='post_newest_first_idx'),
        ),
    ]
