app_name = "posters"

urlpatterns = []
