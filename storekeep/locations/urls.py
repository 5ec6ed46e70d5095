from rest_framework.routers import SimpleRouter

from .views import LocationViewSet

router = SimpleRouter()
router.trailing_slash = "/?"  # accept both /variants and /variants/
router.register("locations", LocationViewSet, basename="location")

urlpatterns = router.urls
